// "Did you mean" for misspelt keys: the closest known name by edit distance, when it is close
// enough to be a likely typo rather than a different word.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pmd {

// Levenshtein distance (insert, delete, substitute each cost 1).
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word`, if within max(2, |word|/3) edits; nullopt otherwise.
std::optional<std::string> closest_name(std::string_view word, std::span<const std::string_view> candidates);

// " (did you mean 'x'?)" or "" — ready to append to a message.
std::string did_you_mean_suffix(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace pmd
