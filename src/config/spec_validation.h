// Rules every AppSpec must satisfy, whichever way it arrived (app file, dump, bus request).
// Syntax is checked where the spec is decoded; this checks meaning and bounds (SpecLimits).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spec/app_spec.h"

namespace pmd {

// One broken rule. `field` is the app-file key it concerns ("name", "cwd", "health_check.url"),
// so a file parser can point at the line that set it.
struct SpecProblem {
    std::string field;
    std::string message;
};

std::vector<SpecProblem> find_spec_problems(const AppSpec& spec);

// Throws Error(InvalidSpec) listing every problem, one per line: "field 'name': ...".
void validate_spec(const AppSpec& spec);

// The app-name rule alone (for "pmctl stop NAME" style lookups): empty string if fine, else why.
std::string app_name_problem(std::string_view name);

}  // namespace pmd
