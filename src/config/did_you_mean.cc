#include "config/did_you_mean.h"

#include <algorithm>
#include <vector>

namespace pmd {

size_t edit_distance(std::string_view a, std::string_view b) {
    // One row of the classic DP table is enough.
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::optional<std::string> closest_name(std::string_view word, std::span<const std::string_view> candidates) {
    // Short words need some slack (kill_timout → kill_timeout); long ones a proportional amount,
    // or every unknown key would "mean" something.
    const size_t limit = std::max<size_t>(2, word.size() / 3);
    std::optional<std::string> best;
    size_t best_distance = limit + 1;
    for (auto candidate : candidates) {
        size_t d = edit_distance(word, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = std::string(candidate);
        }
    }
    return best;
}

std::string did_you_mean_suffix(std::string_view word, std::span<const std::string_view> candidates) {
    auto best = closest_name(word, candidates);
    return best ? " (did you mean '" + *best + "'?)" : "";
}

}  // namespace pmd
