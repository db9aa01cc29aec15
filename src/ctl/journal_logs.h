// pmctl logs for apps whose sink is the journal: entries matching PMD_APP=<app>, printed with
// the same prefixes as files, followed with sd_journal_wait.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace pmd {

// stream: "" (both), "out" or "err".
void show_journal_logs(const std::vector<std::string>& apps, size_t n, bool follow, const std::string& stream,
                       bool color);

}  // namespace pmd
