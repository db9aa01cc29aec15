// pmd's last warnings and errors, kept in memory: `pmctl report` shows them wherever pmd's log
// goes (a terminal, a file, the journal), and a person filing a bug need not find that log.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <spdlog/sinks/sink.h>

namespace pmd {

// The sink to add to pmd's logger; it keeps the last 50 lines of level warning and above.
std::shared_ptr<spdlog::sinks::sink> recent_log_sink();
// Those lines, oldest first, each with its time and level.
std::vector<std::string> recent_log_lines();

}  // namespace pmd
