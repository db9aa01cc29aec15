// /etc/pmd.toml: how the daemon itself runs, and [defaults] every app starts from.
// A missing file means all defaults; a file with any error is refused as a whole.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "spec/app_spec.h"

namespace pmd {

struct DaemonConfig {
    enum class LogSink { File, Journal, Both };

    std::string log_dir = "/var/log/pmd";    // per-app log files (overridden by pmd --log-dir)
    std::string state_dir = "/var/lib/pmd";  // dump.toml lives here (overridden by --state-dir)
    std::string apps_dir = "/etc/pmd.d";     // *.toml app files started when pmd starts
    bool resurrect = true;                   // restore state_dir/dump.toml at start, like pm2 startup + save
    std::string admin_group;                 // members may manage every app; empty = root only
    std::string metrics_listen;              // "tcp:127.0.0.1:9615" serves Prometheus metrics; empty = off
    uint64_t log_max_size = 10ull << 20;     // rotate an app log file beyond this (pm2-logrotate's 10M)
    uint32_t log_max_files = 10;             // rotated files kept per log
    bool log_compress = false;               // gzip rotated files: <log>.1.gz ... (pm2-logrotate's compress)
    LogSink log_sink = LogSink::File;        // where app stdout/stderr go unless an app says otherwise
    AppSpec defaults;                        // [defaults]: app keys applied under every app's own

    bool operator==(const DaemonConfig&) const = default;
};

// Reads `path`; a missing file gives DaemonConfig{}. Throws Error(InvalidSpec) listing every
// problem ("pmd.toml:3:1: field 'log_sink': ..."), Error(Failed) if it cannot be read.
DaemonConfig load_daemon_config(const std::filesystem::path& path);
DaemonConfig parse_daemon_config_text(std::string_view toml_text, const std::string& source_name,
                                      const std::filesystem::path& base_dir);

std::string_view log_sink_name(DaemonConfig::LogSink sink);

}  // namespace pmd
