// Quoting shared by the completion writers.
#pragma once

#include <string>

namespace pmd {

// 'text' for sh, bash, zsh and fish: a ' inside becomes '\''  (fish: \').
std::string shell_single_quoted(const std::string& text);
std::string fish_single_quoted(const std::string& text);

}  // namespace pmd
