#include "logs/log_settings.h"

#include <cstdlib>

namespace pmd {

LogSettings log_settings(const DaemonConfig& config, const std::string& cli_log_dir) {
    LogSettings s;
    s.log_dir = cli_log_dir.empty() ? config.log_dir : cli_log_dir;
    s.rotation = {config.log_max_size, config.log_max_files, config.log_compress};
    s.files = config.log_sink != DaemonConfig::LogSink::Journal;
    s.journal = config.log_sink != DaemonConfig::LogSink::File;
    // Where journald listens; only tests and containers with a relocated journal change it.
    if (const char* socket = std::getenv("PMD_JOURNAL_SOCKET"); socket && *socket) s.journal_socket = socket;
    return s;
}

}  // namespace pmd
