// Quoting and word lists shared by the completion writers.
#pragma once

#include <string>
#include <vector>

#include "ctl/completion_model.h"

namespace pmd {

// 'text' for sh, bash, zsh and fish: a ' inside becomes '\''  (fish: \').
std::string shell_single_quoted(const std::string& text);
std::string fish_single_quoted(const std::string& text);

// The names of the options before the command word that take a value (or that do not), but
// --help and --version: what the completions pass on to the `pmctl ls` that lists app names.
std::vector<std::string> passed_on_options(const CompletionModel& model, bool with_value);
std::string joined(const std::vector<std::string>& words, const std::string& separator);

}  // namespace pmd
