// AppSpec: everything a user declares about one app, whatever the source (bus request, app
// file, dump). It is plain data: validation lives in validate_spec(), decoding in bus/ and
// config/. Field names follow PM2's ecosystem file where the meaning is the same.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pmd {

using Millis = std::chrono::milliseconds;

struct AppSpec {
    std::string name;
    std::vector<std::string> command;  // argv; command[0] is resolved against PATH and cwd
    std::string cwd;                   // absolute; empty = "/" for system apps
    std::map<std::string, std::string> env;
    uint32_t instances = 1;            // 0 is never stored: "max" is resolved to the CPU count
    std::string user;                  // empty = the daemon's user (or the caller's, see bus/)
    std::string group;                 // empty = the user's primary group

    // Restart policy (PM2 semantics, see god/restart_policy.h).
    bool autorestart = true;
    Millis restart_delay{0};
    Millis exp_backoff_restart_delay{0};  // 0 = off; PM2's initial backoff step otherwise
    uint32_t max_restarts = 16;           // unstable restarts (uptime < min_uptime) before errored
    Millis min_uptime{1000};

    // Stopping.
    int stop_signal = 15;                 // SIGTERM
    Millis kill_timeout{1600};            // PM2's default

    // Resource limits where the cgroup2 controllers exist (0 = unlimited).
    uint64_t memory_max = 0;
    uint64_t pids_max = 0;
    uint32_t cpu_max_percent = 0;

    // Logs: empty = <log-dir>/<name>-out.log / -err.log; "/dev/null" discards.
    std::string out_file;
    std::string error_file;

    bool operator==(const AppSpec&) const = default;
};

// Upper bounds of what a request may ask for; a value beyond them is an InvalidSpec error.
struct SpecLimits {
    static constexpr size_t max_name_length = 64;
    static constexpr uint32_t max_instances = 1024;
    static constexpr size_t max_args = 4096;
    static constexpr size_t max_env_bytes = 256 * 1024;
    static constexpr Millis max_duration{std::chrono::hours(24 * 7)};
};

}  // namespace pmd
