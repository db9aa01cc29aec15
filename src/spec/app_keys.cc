#include "spec/app_keys.h"

#include <algorithm>
#include <limits>

namespace pmd {
namespace {

using K = AppKeyKind;
using A = AppKeyApply;
constexpr uint64_t kU32 = std::numeric_limits<uint32_t>::max();
constexpr uint64_t kI64 = std::numeric_limits<int64_t>::max();

// clang-format off
const AppKey kKeys[] = {
    {.key = "name", .kind = K::Custom, .member = {}, .doc = "Unique name of the app (default: the script's file name)", .one_app = true},
    {.key = "script", .kind = K::Custom, .member = {}, .doc = "Program or script to run, relative to cwd or found in PATH", .one_app = true, .written = false},
    {.key = "args", .kind = K::Custom, .member = {}, .doc = "Arguments after script", .one_app = true, .written = false},
    {.key = "interpreter", .kind = K::Custom, .member = {}, .doc = "Runs interpreter [interpreter_args] script [args]", .one_app = true, .written = false},
    {.key = "interpreter_args", .kind = K::Custom, .member = {}, .doc = "Arguments of the interpreter", .one_app = true, .written = false},
    {.key = "node_args", .kind = K::Custom, .member = {}, .doc = "PM2's older name of interpreter_args", .one_app = true, .written = false},
    {.key = "command", .kind = K::Custom, .member = {}, .doc = "The whole argv, instead of script/args/interpreter", .one_app = true},
    {.key = "cwd", .kind = K::Custom, .member = {}, .doc = "Working directory, relative to the app file's directory"},
    {.key = "instances", .kind = K::Custom, .member = {}, .doc = "Number of instances; \"max\" or 0 = one per CPU"},
    {.key = "user", .kind = K::Identity, .member = &AppSpec::user, .doc = "User the app runs as"},
    {.key = "uid", .kind = K::Identity, .member = &AppSpec::user, .doc = "PM2's name of user", .written = false},
    {.key = "group", .kind = K::Identity, .member = &AppSpec::group, .doc = "Group the app runs as (default: the user's)"},
    {.key = "gid", .kind = K::Identity, .member = &AppSpec::group, .doc = "PM2's name of group", .written = false},
    {.key = "autorestart", .kind = K::Flag, .member = &AppSpec::autorestart, .doc = "Restart instances that exit"},
    {.key = "restart_delay", .kind = K::Duration, .member = &AppSpec::restart_delay, .doc = "Wait this long before each automatic restart"},
    {.key = "exp_backoff_restart_delay", .kind = K::Duration, .member = &AppSpec::exp_backoff_restart_delay, .doc = "First step of PM2's exponential restart backoff"},
    {.key = "max_restarts", .kind = K::Count, .member = &AppSpec::max_restarts, .doc = "Unstable restarts in a row before the app is errored", .max = kU32},
    {.key = "min_uptime", .kind = K::Duration, .member = &AppSpec::min_uptime, .doc = "A run shorter than this is unstable"},
    {.key = "stop_signal", .kind = K::Custom, .member = {}, .doc = "Signal that asks an instance to stop"},
    {.key = "kill_timeout", .kind = K::Duration, .member = &AppSpec::kill_timeout, .doc = "Time between the stop signal and killing the cgroup"},
    {.key = "memory_max", .kind = K::Size, .member = &AppSpec::memory_max, .doc = "cgroup memory.max of the app"},
    {.key = "pids_max", .kind = K::Count, .member = &AppSpec::pids_max, .doc = "cgroup pids.max of the app", .max = kI64},
    {.key = "cpu_max", .kind = K::Custom, .member = {}, .doc = "cgroup cpu.max as a percentage of one CPU"},
    {.key = "io_weight", .kind = K::Custom, .member = {}, .doc = "cgroup io.weight of the app, 1 to 10000 (the kernel's default: 100)"},
    {.key = "io_read_bandwidth_max", .kind = K::Custom, .member = {}, .doc = "cgroup io.max rbps: \"PATH SIZE\" per disk (a device or a path on its filesystem), bytes a second"},
    {.key = "io_write_bandwidth_max", .kind = K::Custom, .member = {}, .doc = "cgroup io.max wbps: \"PATH SIZE\" per disk (a device or a path on its filesystem), bytes a second"},
    {.key = "out_file", .kind = K::Text, .member = &AppSpec::out_file, .apply = A::LogRoute, .doc = "File of the app's stdout"},
    {.key = "error_file", .kind = K::Text, .member = &AppSpec::error_file, .apply = A::LogRoute, .doc = "File of the app's stderr"},
    {.key = "pid_file", .kind = K::Text, .member = &AppSpec::pid_file, .doc = "File pmd writes each instance's main pid to"},
    {.key = "wait_ready", .kind = K::Flag, .member = &AppSpec::wait_ready, .doc = "Wait for READY=1 (or process.send('ready'))"},
    {.key = "listen_timeout", .kind = K::Duration, .member = &AppSpec::listen_timeout, .doc = "How long readiness may take"},
    {.key = "reload_batch", .kind = K::Custom, .member = {}, .doc = "Instances a rolling reload replaces at a time"},
    {.key = "max_memory_restart", .kind = K::Size, .member = &AppSpec::max_memory_restart, .doc = "Restart an instance above this memory"},
    {.key = "cron_restart", .kind = K::Custom, .member = {}, .doc = "Restart the app on this cron schedule"},
    {.key = "watch", .kind = K::Custom, .member = {}, .doc = "Restart when files under cwd (or these paths) change"},
    {.key = "ignore_watch", .kind = K::Custom, .member = {}, .doc = "Globs not watched"},
    {.key = "watch_delay", .kind = K::Duration, .member = &AppSpec::watch_delay, .doc = "Quiet time after the last change before restarting"},
    {.key = "instance_var", .kind = K::Text, .member = &AppSpec::instance_var, .doc = "Env var holding the instance index"},
    {.key = "increment_var", .kind = K::Text, .member = &AppSpec::increment_var, .doc = "Env var set to its env value + instance index"},
    {.key = "merge_logs", .kind = K::Flag, .member = &AppSpec::merge_logs, .apply = A::LogRoute, .doc = "One log file for all instances"},
    {.key = "log_date_format", .kind = K::Text, .member = &AppSpec::log_date_format, .apply = A::LogRoute, .doc = "Timestamp prefix of log lines (moment.js syntax)"},
    {.key = "log_max_size", .kind = K::Size, .member = &AppSpec::log_max_size, .apply = A::LogRoute, .doc = "Rotate the app's log files beyond this size (0 = never); overrides pmd.toml's"},
    {.key = "log_max_files", .kind = K::Count, .member = &AppSpec::log_max_files, .apply = A::LogRoute, .doc = "Rotated files kept per log file of the app; overrides pmd.toml's", .max = 10000},
    {.key = "listen", .kind = K::Custom, .member = {}, .apply = A::Sockets, .doc = "Sockets pmd binds once and passes to every instance",
     .same = [](const AppSpec& a, const AppSpec& b) { return a.listen == b.listen; }},
    {.key = "reuse_port", .kind = K::Flag, .member = &AppSpec::reuse_port, .apply = A::Sockets, .doc = "Instances bind their own port with SO_REUSEPORT"},
    {.key = "exec_mode", .kind = K::Custom, .member = {}, .apply = A::Sockets, .doc = "\"fork\" or \"cluster\" (instances share the ports they bind)",
     .same = [](const AppSpec& a, const AppSpec& b) { return a.exec_mode == b.exec_mode; }},
    {.key = "watchdog_sec", .kind = K::Duration, .member = &AppSpec::watchdog_sec, .doc = "Instances must send WATCHDOG=1 this often"},
    {.key = "no_new_privs", .kind = K::Flag, .member = &AppSpec::no_new_privs, .doc = "PR_SET_NO_NEW_PRIVS before exec"},
    {.key = "shutdown_with_message", .kind = K::Flag, .member = &AppSpec::shutdown_with_message, .doc = "Stop Node apps with the IPC message 'shutdown'"},
    {.key = "umask", .kind = K::Custom, .member = {}, .doc = "umask of the app's processes"},
    {.key = "limit_nofile", .kind = K::Limit, .member = &AppSpec::limit_nofile, .doc = "RLIMIT_NOFILE (soft = hard)"},
    {.key = "limit_nproc", .kind = K::Limit, .member = &AppSpec::limit_nproc, .doc = "RLIMIT_NPROC"},
    {.key = "limit_core", .kind = K::Limit, .member = &AppSpec::limit_core, .doc = "RLIMIT_CORE in bytes"},
    {.key = "limit_memlock", .kind = K::Limit, .member = &AppSpec::limit_memlock, .doc = "RLIMIT_MEMLOCK in bytes"},
    {.key = "env", .kind = K::Custom, .member = {}, .doc = "Environment variables, merged over [defaults].env"},
    {.key = "health_check", .kind = K::Custom, .member = {}, .doc = "A probe pmd runs against each ready instance"},
};
// clang-format on

}  // namespace

std::span<const AppKey> app_keys() { return kKeys; }

const AppKey* find_app_key(std::string_view key) {
    auto it = std::find_if(std::begin(kKeys), std::end(kKeys), [&](const AppKey& k) { return k.key == key; });
    return it == std::end(kKeys) ? nullptr : &*it;
}

std::vector<std::string> changed_app_keys(const AppSpec& a, const AppSpec& b, AppKeyApply apply) {
    std::vector<std::string> out;
    for (const AppKey& k : kKeys) {
        if (k.apply != apply || !k.written) continue;
        bool same = k.same ? k.same(a, b)
                           : std::visit(
                                 [&](auto member) {
                                     if constexpr (std::is_same_v<decltype(member), std::monostate>)
                                         return true;
                                     else
                                         return a.*member == b.*member;
                                 },
                                 k.member);
        if (!same) out.emplace_back(k.key);
    }
    return out;
}

}  // namespace pmd
