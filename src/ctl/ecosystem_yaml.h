// PM2 process files in YAML (process.yml, .yaml): read into the JSON the ecosystem import
// takes, typed as js-yaml (PM2's reader) types them.
#pragma once

#include <string>

namespace pmd {

// Throws Error(InvalidSpec) naming file, line and column for YAML that does not parse.
std::string ecosystem_yaml_to_json(const std::string& text, const std::string& file);

}  // namespace pmd
