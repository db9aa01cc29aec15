#include "config/app_dump.h"

#include <csignal>
#include <cstdio>

#include "base/signal_name.h"
#include "config/app_file.h"
#include "config/toml_text.h"

namespace pmd {

std::string exact_duration_text(Millis d) {
    int64_t ms = d.count();
    if (ms <= 0) return std::to_string(ms) + "ms";
    static const std::pair<int64_t, const char*> units[] = {
        {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
    std::string out;
    for (auto [size, name] : units) {
        if (ms >= size) {
            out += std::to_string(ms / size) + name;
            ms %= size;
        }
    }
    return out;
}

std::string exact_size_text(uint64_t bytes) {
    static const std::pair<uint64_t, const char*> units[] = {
        {1ull << 40, "T"}, {1ull << 30, "G"}, {1ull << 20, "M"}, {1ull << 10, "K"}};
    for (auto [size, name] : units)
        if (bytes >= size && bytes % size == 0) return std::to_string(bytes / size) + name;
    return std::to_string(bytes);
}

namespace {

const char* health_type_name(HealthCheck::Type type) {
    switch (type) {
        case HealthCheck::Type::Http:
            return "http";
        case HealthCheck::Type::Tcp:
            return "tcp";
        case HealthCheck::Type::Exec:
            return "exec";
        case HealthCheck::Type::None:
            break;
    }
    return "";
}

// Real-time signals have no name parse_signal() knows; write those as numbers.
std::string signal_text(int signal) {
    return signal < SIGRTMIN ? toml_string(signal_name(signal)) : std::to_string(signal);
}

void dump_one(const AppSpec& a, bool stopped, std::string& out) {
    const AppSpec d;  // only what differs from the built-in defaults is written
    auto line = [&](std::string_view key, const std::string& value) {
        out += key;
        out += " = ";
        out += value;
        out += '\n';
    };
    auto text = [&](std::string_view key, const std::string& value, const std::string& def) {
        if (value != def) line(key, toml_string(value));
    };
    auto flag = [&](std::string_view key, bool value, bool def) {
        if (value != def) line(key, value ? "true" : "false");
    };
    auto duration = [&](std::string_view key, Millis value, Millis def) {
        if (value != def) line(key, toml_string(exact_duration_text(value)));
    };
    auto size = [&](std::string_view key, uint64_t value, uint64_t def) {
        if (value != def) line(key, toml_string(exact_size_text(value)));
    };

    out += "[[app]]\n";
    line("name", toml_string(a.name));
    if (stopped) line("desired_state", toml_string("stopped"));
    line("command", toml_string_array(a.command));
    if (!a.cwd.empty()) line("cwd", toml_string(a.cwd));
    if (a.instances != d.instances) line("instances", a.instances == 0 ? "\"max\"" : std::to_string(a.instances));
    text("user", a.user, d.user);
    text("group", a.group, d.group);
    flag("autorestart", a.autorestart, d.autorestart);
    duration("restart_delay", a.restart_delay, d.restart_delay);
    duration("exp_backoff_restart_delay", a.exp_backoff_restart_delay, d.exp_backoff_restart_delay);
    if (a.max_restarts != d.max_restarts) line("max_restarts", std::to_string(a.max_restarts));
    duration("min_uptime", a.min_uptime, d.min_uptime);
    if (a.stop_signal != d.stop_signal) line("stop_signal", signal_text(a.stop_signal));
    duration("kill_timeout", a.kill_timeout, d.kill_timeout);
    size("memory_max", a.memory_max, d.memory_max);
    if (a.pids_max != d.pids_max) line("pids_max", std::to_string(a.pids_max));
    if (a.cpu_max_percent != d.cpu_max_percent) line("cpu_max", std::to_string(a.cpu_max_percent));
    text("out_file", a.out_file, d.out_file);
    text("error_file", a.error_file, d.error_file);
    text("pid_file", a.pid_file, d.pid_file);
    flag("wait_ready", a.wait_ready, d.wait_ready);
    duration("listen_timeout", a.listen_timeout, d.listen_timeout);
    if (a.reload_batch != d.reload_batch) line("reload_batch", std::to_string(a.reload_batch));
    size("max_memory_restart", a.max_memory_restart, d.max_memory_restart);
    text("cron_restart", a.cron_restart, d.cron_restart);
    if (a.watch) line("watch", a.watch_paths.empty() ? "true" : toml_string_array(a.watch_paths));
    if (!a.ignore_watch.empty()) line("ignore_watch", toml_string_array(a.ignore_watch));
    duration("watch_delay", a.watch_delay, d.watch_delay);
    text("instance_var", a.instance_var, d.instance_var);
    text("increment_var", a.increment_var, d.increment_var);
    flag("merge_logs", a.merge_logs, d.merge_logs);
    text("log_date_format", a.log_date_format, d.log_date_format);
    if (!a.listen.empty()) {
        std::string items;
        for (const auto& l : a.listen) {
            if (!items.empty()) items += ", ";
            items += "{address = " + toml_string(l.address) +
                     (l.name.empty() ? "" : ", name = " + toml_string(l.name)) + "}";
        }
        line("listen", "[" + items + "]");
    }
    flag("reuse_port", a.reuse_port, d.reuse_port);
    if (a.exec_mode == AppSpec::ExecMode::Cluster) line("exec_mode", "\"cluster\"");
    duration("watchdog_sec", a.watchdog_sec, d.watchdog_sec);
    flag("no_new_privs", a.no_new_privs, d.no_new_privs);
    flag("shutdown_with_message", a.shutdown_with_message, d.shutdown_with_message);
    if (a.umask != d.umask) {
        char octal[8];
        std::snprintf(octal, sizeof octal, "%04o", a.umask);
        line("umask", toml_string(octal));
    }
    auto limit = [&](std::string_view key, const std::optional<uint64_t>& value) {
        if (value) line(key, *value == kLimitInfinity ? "\"infinity\"" : std::to_string(*value));
    };
    limit("limit_nofile", a.limit_nofile);
    limit("limit_nproc", a.limit_nproc);
    limit("limit_core", a.limit_core);
    limit("limit_memlock", a.limit_memlock);

    // Sub-tables last: after [app.env] every key belongs to it.
    if (!a.env.empty()) {
        out += "\n[app.env]\n";
        for (const auto& [key, value] : a.env) line(toml_key(key), toml_string(value));
    }
    const auto& hc = a.health_check;
    if (hc.type != HealthCheck::Type::None) {
        out += "\n[app.health_check]\n";
        line("type", toml_string(health_type_name(hc.type)));
        if (!hc.url.empty()) line("url", toml_string(hc.url));
        if (hc.port != 0) line("port", std::to_string(hc.port));
        if (hc.expected_status != 0) line("expected_status", std::to_string(hc.expected_status));
        if (!hc.command.empty()) line("command", toml_string_array(hc.command));
        line("interval", toml_string(exact_duration_text(hc.interval)));
        line("timeout", toml_string(exact_duration_text(hc.timeout)));
        line("failures", std::to_string(hc.failures));
    }
}

}  // namespace

std::string dump_apps(const std::vector<AppSpec>& apps, const std::set<std::string>& stopped) {
    std::string out = "# Written by pmd (pmctl save). Read back by pmctl resurrect; edits are kept.\n";
    for (const auto& app : apps) {
        out += '\n';
        dump_one(app, stopped.count(app.name) > 0, out);
    }
    return out;
}

}  // namespace pmd

namespace pmd {

std::vector<AppSpec> parse_dump_text(std::string_view text, const std::string& source_name,
                                     std::set<std::string>* stopped) {
    AppFileOptions options;
    options.allow_no_apps = true;
    std::set<std::string> ignored;
    options.desired_stopped = stopped ? stopped : &ignored;
    return parse_app_text(text, source_name, {}, options);
}

std::vector<AppSpec> load_dump(const std::filesystem::path& path) { return load_dump(path, nullptr); }

std::vector<AppSpec> load_dump(const std::filesystem::path& path, std::set<std::string>* stopped) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec) && !ec) return {};
    return parse_dump_text(read_text_file(path), path.string(), stopped);
}

}  // namespace pmd
