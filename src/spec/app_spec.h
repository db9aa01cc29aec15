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

// PATH of an instance whose env does not set one.
inline constexpr const char* kDefaultAppPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// One socket pmd binds for an app's instances (passed as LISTEN_FDS from fd 3), as written in
// an app file: "tcp:HOST:PORT", "tcp6:[ADDR]:PORT" or "unix:/path". config/listen_address.h
// parses the address; name becomes LISTEN_FDNAMES (empty = the app's name).
struct ListenAddress {
    std::string address;
    std::string name;
    bool operator==(const ListenAddress&) const = default;
};

// A cap on one disk's bandwidth for an app (systemd's IOReadBandwidthMax=/IOWriteBandwidthMax=):
// `path` is the disk, one of its partitions or any path on a filesystem on it, as written;
// cgroup/block_device resolves it to the whole disk when an instance is spawned.
struct IoBandwidth {
    std::string path;
    uint64_t bytes_per_second = 0;
    bool operator==(const IoBandwidth&) const = default;
};

// A probe pmd runs against each ready instance; `failures` misses in a row restart it.
struct HealthCheck {
    enum class Type { None, Http, Tcp, Exec };
    Type type = Type::None;              // None = no health check
    std::string url;                     // Http: "http://127.0.0.1:8080/health"
    uint16_t port = 0;                   // Tcp: connect to 127.0.0.1:port
    std::vector<std::string> command;    // Exec: argv, run in the app's cwd as its user; 0 = healthy
    Millis interval{30000};
    Millis timeout{5000};
    uint32_t failures = 3;
    uint16_t expected_status = 0;        // Http: this status exactly; 0 = any 2xx or 3xx
    bool operator==(const HealthCheck&) const = default;
};

struct AppSpec {
    std::string name;
    std::vector<std::string> command;  // argv; command[0] is resolved against PATH and cwd
    std::string cwd;                   // absolute; empty = "/" for system apps
    std::map<std::string, std::string> env;
    uint32_t instances = 1;            // 0 = "max": one per CPU, resolved when instances start
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
    // io.weight "default N" (1..10000, systemd's IOWeight=); 0 = the kernel's default, 100.
    uint32_t io_weight = 0;
    // io.max rbps= / wbps= per disk; several entries for several disks.
    std::vector<IoBandwidth> io_read_bandwidth_max;
    std::vector<IoBandwidth> io_write_bandwidth_max;

    // Logs: empty = <log-dir>/<name>-out.log / -err.log; "/dev/null" discards.
    std::string out_file;
    std::string error_file;

    // --- What app files add. Defaults equal PM2's. ---
    // instances = 0 means "max" (one per CPU): app files and dumps keep it symbolic so a dump
    // restored on another machine follows its CPU count; god/ resolves it when it starts instances.

    // Readiness: wait_ready waits for READY=1 (PM2: process.send('ready')) up to listen_timeout.
    bool wait_ready = false;
    Millis listen_timeout{3000};          // PM2's GRACEFUL_LISTEN_TIMEOUT
    // Restart when an instance's memory exceeds this many bytes (0 = off), PM2's max_memory_restart.
    uint64_t max_memory_restart = 0;
    // Restart the whole app on this cron schedule (5 or 6 fields, PM2/croner syntax, optional
    // "CRON_TZ=Zone " prefix, see config/cron_schedule.h); empty = off.
    std::string cron_restart;
    // Restart on file changes: watch = true watches cwd; watch_paths narrows it (relative to cwd).
    bool watch = false;
    std::vector<std::string> watch_paths;
    std::vector<std::string> ignore_watch;  // globs/paths excluded from watching
    // Quiet time after the last change before the restart (PM2's watch_delay): a burst is one restart.
    Millis watch_delay{1000};
    // Env var carrying the instance index (PM2: NODE_APP_INSTANCE); empty = not set.
    std::string instance_var = "NODE_APP_INSTANCE";
    // Env var set to <base value> + instance index (PM2's increment_var, e.g. PORT); empty = off.
    std::string increment_var;
    // One log file for all instances (true) or one per instance with an -<n> suffix (PM2 default).
    bool merge_logs = false;
    // Timestamp prefix of log lines in moment.js syntax as PM2 ("YYYY-MM-DD HH:mm:ss"); empty = none.
    std::string log_date_format;
    // Rotation of the app's log files, as supervisord's stdout_logfile_maxbytes/_backups per
    // program; nullopt = pmd.toml's log_max_size/log_max_files. log_max_size 0 = never rotate.
    std::optional<uint64_t> log_max_size;
    std::optional<uint32_t> log_max_files;

    // pmd's own: sockets pmd binds once and hands to every instance (see cluster/).
    std::vector<ListenAddress> listen;
    bool reuse_port = false;              // instances bind themselves with SO_REUSEPORT
    // PM2's exec_mode. Cluster: the instances' own bind() and listen() on a TCP or unix stream
    // address share one socket pmd keeps per app and address (cluster/bind_broker.h), so N
    // unchanged servers listen on one port; fork: each instance binds alone.
    enum class ExecMode { Fork, Cluster };
    ExecMode exec_mode = ExecMode::Fork;
    Millis watchdog_sec{0};               // 0 = off; else WATCHDOG=1 expected this often
    HealthCheck health_check;
    // --- How the child is confined besides its user. ---
    // PR_SET_NO_NEW_PRIVS before exec: setuid binaries and file capabilities cannot raise privileges.
    bool no_new_privs = false;
    uint32_t umask = 022;
    // setrlimit in the child before it drops privileges, soft = hard (systemd's LimitNOFILE=...);
    // nullopt = inherit pmd's; kLimitInfinity = no limit ("infinity" in app files).
    std::optional<uint64_t> limit_nofile;
    std::optional<uint64_t> limit_nproc;
    std::optional<uint64_t> limit_core;
    std::optional<uint64_t> limit_memlock;
    // Instances replaced at a time by a rolling reload (pmd's own; PM2 reloads one at a time).
    uint32_t reload_batch = 1;
    // --- Appended by the PM2 import. ---
    // Stop a Node app by sending it the message 'shutdown' on its IPC channel (PM2's
    // shutdown_with_message) instead of the stop signal; kill_timeout and cgroup.kill follow as usual.
    bool shutdown_with_message = false;
    // PM2's pid_file: pmd writes each instance's main pid there while it runs (with -<n> before
    // the extension when there are several instances, as log files); empty = none.
    std::string pid_file;

    bool operator==(const AppSpec&) const = default;
};

// Upper bounds of what a request may ask for; a value beyond them is an InvalidSpec error.
struct SpecLimits {
    static constexpr size_t max_name_length = 64;
    static constexpr uint32_t max_instances = 1024;
    static constexpr size_t max_args = 4096;
    static constexpr size_t max_env_bytes = 256 * 1024;
    static constexpr Millis max_duration{std::chrono::hours(24 * 7)};
    // Bounds that keep a bus request from making pmd hold huge paths, envs or argvs.
    static constexpr size_t max_path_length = 4095;  // PATH_MAX - 1
    static constexpr size_t max_env_vars = 4096;
    static constexpr size_t max_command_bytes = 256 * 1024;  // all arguments together
    static constexpr uint64_t max_limit_value = 1ull << 40;  // anything larger must be "infinity"
};

}  // namespace pmd

// A limit_* value meaning "no limit" (RLIM_INFINITY).
inline constexpr uint64_t kLimitInfinity = ~0ull;
