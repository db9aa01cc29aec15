#include "config/pm2_keys.h"

#include <map>

namespace pmd {
namespace {

// clang-format off
const std::map<std::string_view, std::string_view> kSameMeaning = {
    {"name", "name"}, {"script", "script"}, {"exec", "script"}, {"cmd", "script"}, {"args", "args"}, {"cwd", "cwd"}, {"instances", "instances"},
    {"interpreter", "interpreter"}, {"exec_interpreter", "interpreter"},
    {"interpreter_args", "interpreter_args"}, {"node_args", "interpreter_args"},
    {"interpreterArgs", "interpreter_args"},
    {"autorestart", "autorestart"}, {"max_restarts", "max_restarts"}, {"min_uptime", "min_uptime"},
    {"restart_delay", "restart_delay"}, {"exp_backoff_restart_delay", "exp_backoff_restart_delay"},
    {"kill_timeout", "kill_timeout"}, {"listen_timeout", "listen_timeout"}, {"wait_ready", "wait_ready"},
    {"max_memory_restart", "max_memory_restart"}, {"cron_restart", "cron_restart"}, {"cron", "cron_restart"},
    {"watch", "watch"}, {"ignore_watch", "ignore_watch"}, {"watch_delay", "watch_delay"},
    {"instance_var", "instance_var"},
    {"increment_var", "increment_var"},
    {"out_file", "out_file"}, {"output", "out_file"}, {"out", "out_file"}, {"out_log", "out_file"},
    {"error_file", "error_file"}, {"err_file", "error_file"}, {"error", "error_file"}, {"err", "error_file"},
    {"err_log", "error_file"},
    {"merge_logs", "merge_logs"}, {"combine_logs", "merge_logs"}, {"log_date_format", "log_date_format"},
    {"user", "user"}, {"uid", "uid"}, {"gid", "gid"}, {"exec_mode", "exec_mode"},
    {"user", "user"}, {"uid", "uid"}, {"gid", "gid"}, {"shutdown_with_message", "shutdown_with_message"},
    {"pid_file", "pid_file"}, {"pid", "pid_file"},
};

const std::map<std::string_view, std::string_view> kNoEquivalent = {
    {"time", "write log_date_format = \"YYYY-MM-DD HH:mm:ss Z\" instead"},
    {"pmx", "no equivalent in pmd"}, {"vizion", "no equivalent in pmd"}, {"automation", "no equivalent in pmd"},
    {"autodump", "pmd saves only on `pmctl save`"}, {"treekill", "pmd always stops the whole cgroup"},
    {"source_map_support", "no equivalent in pmd"}, {"disable_source_map_support", "no equivalent in pmd"},
    {"namespace", "no equivalent in pmd; prefix the app names instead"},
    {"log_file", "pmd keeps out_file and error_file apart; no combined file"},
    {"log_type", "no JSON log format in pmd"},
    {"kill_retry_time", "pmd kills the cgroup after kill_timeout"},
{"force", "pmd refuses duplicate names"},
    {"append_env_to_name", "no equivalent in pmd"}, {"filter_env", "pmd passes no daemon env to apps"},
    {"stop_exit_codes", "no equivalent yet"}, {"vizion_running", "no equivalent in pmd"},
    {"post_update", "no equivalent in pmd"}, {"node_version", "no equivalent in pmd"},
    {"version", "no equivalent in pmd"}, {"autostart", "every app in a pmd app file starts"},
    {"port", "no equivalent; set env PORT instead"},
    {"log", "pmd keeps out_file and error_file apart; no combined file"},
    {"watch_options", "chokidar's options; pmd watches with inotify (watch, ignore_watch, watch_delay)"},
    {"name_prefix", "no equivalent in pmd; prefix the app names instead"},
    {"install_url", "no equivalent in pmd"}, {"trace", "no equivalent in pmd"}, {"disable_trace", "no equivalent in pmd"},
    {"v8", "no equivalent in pmd"}, {"event_loop_inspector", "no equivalent in pmd"},
    {"deep_monitoring", "no equivalent in pmd"}, {"windowsHide", "no meaning on Linux"},
    {"write", "no equivalent in pmd"}, {"io", "no equivalent in pmd"},
    {"disable_logs", "write out_file = \"/dev/null\" and error_file = \"/dev/null\""},
    {"env_file", "not a PM2 key (PM2 ignores it); load the file in the app or list its variables under env"},
};
// clang-format on

}  // namespace

std::optional<std::string> pm2_key_in_pmd(std::string_view pm2_key) {
    auto it = kSameMeaning.find(pm2_key);
    return it == kSameMeaning.end() ? std::nullopt : std::optional<std::string>(it->second);
}

std::optional<std::string> pm2_key_without_equivalent(std::string_view pm2_key) {
    auto it = kNoEquivalent.find(pm2_key);
    return it == kNoEquivalent.end() ? std::nullopt : std::optional<std::string>(it->second);
}

}  // namespace pmd
