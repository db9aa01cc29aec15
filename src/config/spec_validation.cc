#include "config/spec_validation.h"

#include <set>

#include "base/error.h"
#include "base/quantity.h"
#include "base/signal_name.h"
#include "config/listen_address.h"
#include "config/cron_schedule.h"
#include "config/http_url.h"

namespace pmd {
namespace {

// Far beyond any machine pmd runs on, but keeps cpu.max arithmetic away from overflow.
constexpr uint32_t max_cpu_percent = 100 * 4096;

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '@' || c == '-';
}

bool has_nul(std::string_view s) {
    return s.find('\0') != std::string_view::npos;
}

}  // namespace

std::string app_name_problem(std::string_view name) {
    if (name.empty()) return "an app needs a name";
    if (name.size() > SpecLimits::max_name_length)
        return "'" + std::string(name.substr(0, 20)) + "...' is " + std::to_string(name.size()) +
               " characters long; names have at most " + std::to_string(SpecLimits::max_name_length);
    for (char c : name)
        if (!is_name_char(c))
            return "'" + std::string(name) + "' contains '" + (c >= ' ' && c <= '~' ? std::string(1, c) : "\\x?") +
                   "'; names use only letters, digits and _ . @ -";
    if (name[0] == '.' || name[0] == '-') return "'" + std::string(name) + "' may not start with '.' or '-'";
    if (name == "all") return "'all' is reserved (it means every app in pmctl commands)";
    return "";
}

std::vector<SpecProblem> find_spec_problems(const AppSpec& spec) {
    std::vector<SpecProblem> problems;
    auto add = [&](std::string field, std::string message) {
        problems.push_back({std::move(field), std::move(message)});
    };

    if (auto why = app_name_problem(spec.name); !why.empty()) add("name", why);

    if (spec.command.empty() || spec.command[0].empty())
        add("command", "the command is empty; set 'script' or 'command'");
    else if (spec.command.size() > SpecLimits::max_args)
        add("command",
            std::to_string(spec.command.size()) + " arguments; at most " + std::to_string(SpecLimits::max_args));
    for (const auto& arg : spec.command)
        if (has_nul(arg)) add("command", "an argument contains a NUL byte");

    if (!spec.cwd.empty() && spec.cwd[0] != '/') add("cwd", "'" + spec.cwd + "' is not an absolute path");

    if (spec.instances > SpecLimits::max_instances)
        add("instances",
            std::to_string(spec.instances) + " is more than the limit of " + std::to_string(SpecLimits::max_instances));

    size_t env_bytes = 0;
    for (const auto& [key, value] : spec.env) {
        env_bytes += key.size() + value.size() + 2;
        if (key.empty() || key.find('=') != std::string::npos || has_nul(key))
            add("env", "'" + key + "' is not a valid variable name (empty, or contains '=' or NUL)");
        if (has_nul(value)) add("env", "the value of " + key + " contains a NUL byte");
    }
    if (env_bytes > SpecLimits::max_env_bytes)
        add("env", "the environment takes " + std::to_string(env_bytes) + " bytes; at most " +
                       std::to_string(SpecLimits::max_env_bytes));

    const std::pair<const char*, Millis> durations[] = {
        {"restart_delay", spec.restart_delay},
        {"exp_backoff_restart_delay", spec.exp_backoff_restart_delay},
        {"min_uptime", spec.min_uptime},
        {"kill_timeout", spec.kill_timeout},
        {"listen_timeout", spec.listen_timeout},
        {"watchdog_sec", spec.watchdog_sec},
        {"watch_delay", spec.watch_delay},
        {"health_check.interval", spec.health_check.interval},
        {"health_check.timeout", spec.health_check.timeout},
    };
    for (const auto& [field, value] : durations) {
        if (value.count() < 0)
            add(field, "a duration cannot be negative");
        else if (value > SpecLimits::max_duration)
            add(field,
                format_duration(value) + " is longer than the limit of " + format_duration(SpecLimits::max_duration));
    }

    if (!is_valid_signal(spec.stop_signal))
        add("stop_signal", std::to_string(spec.stop_signal) + " is not a signal number");
    if (spec.cpu_max_percent > max_cpu_percent)
        add("cpu_max",
            std::to_string(spec.cpu_max_percent) + "% is more than " + std::to_string(max_cpu_percent) + "%");

    for (const char* var : {"instance_var", "increment_var"}) {
        const std::string& value = std::string_view(var) == "instance_var" ? spec.instance_var : spec.increment_var;
        if (value.find('=') != std::string::npos || has_nul(value))
            add(var, "'" + value + "' is not a valid variable name");
    }

    std::set<std::string> addresses;
    for (const auto& listen : spec.listen) {
        std::string why;
        if (!parse_listen_address(listen.address, &why)) add("listen", "'" + listen.address + "': " + why);
        if (!listen.name.empty() && !is_valid_fd_name(listen.name))
            add("listen", "socket name '" + listen.name + "' must be 1-255 printable characters without ':' or spaces");
        if (!addresses.insert(listen.address).second) add("listen", "'" + listen.address + "' is listed twice");
    }
    if (spec.reuse_port && !spec.listen.empty())
        add("reuse_port", "reuse_port means the app binds its own sockets; drop either 'listen' or 'reuse_port'");
    if (spec.reuse_port && spec.exec_mode == AppSpec::ExecMode::Cluster)
        add("exec_mode", "exec_mode = \"cluster\" shares one socket per address between the instances; "
                         "reuse_port gives each its own: drop one of them");

    if (!spec.cron_restart.empty())
        if (auto why = CronSchedule::problem(spec.cron_restart); !why.empty()) add("cron_restart", why);

    const auto& hc = spec.health_check;
    switch (hc.type) {
        case HealthCheck::Type::None:
            break;
        case HealthCheck::Type::Http:
            if (hc.url.empty()) {
                add("health_check.url", "an http check needs url = \"http://HOST:PORT/path\"");
            } else if (std::string why; !parse_http_url(hc.url, &why)) {
                add("health_check.url", why);
            }
            if (hc.expected_status != 0 && (hc.expected_status < 100 || hc.expected_status > 599))
                add("health_check.expected_status", "an HTTP status is 100..599 (0 = any 2xx or 3xx)");
            break;
        case HealthCheck::Type::Tcp:
            if (hc.port == 0) add("health_check.port", "a tcp check needs port = 1..65535");
            break;
        case HealthCheck::Type::Exec:
            if (hc.command.empty() || hc.command[0].empty())
                add("health_check.command", "an exec check needs a command");
            break;
    }
    if (hc.type != HealthCheck::Type::None) {
        if (hc.interval.count() <= 0) add("health_check.interval", "the interval must be longer than 0");
        if (hc.timeout.count() <= 0) add("health_check.timeout", "the timeout must be longer than 0");
        if (hc.failures == 0) add("health_check.failures", "failures must be at least 1");
        if (hc.timeout > hc.interval)
            add("health_check.timeout", "the timeout (" + format_duration(hc.timeout) +
                                            ") must not be longer than the interval (" + format_duration(hc.interval) + ")");
    }
    // Bounds against abuse: what a bus request could otherwise use to make pmd
    // allocate, or the kernel refuse, at spawn time rather than at the request.
    size_t command_bytes = 0;
    for (const auto& arg : spec.command) command_bytes += arg.size() + 1;
    if (command_bytes > SpecLimits::max_command_bytes)
        add("command", "the arguments take " + std::to_string(command_bytes) + " bytes; at most " +
                           std::to_string(SpecLimits::max_command_bytes));
    if (spec.env.size() > SpecLimits::max_env_vars)
        add("env", std::to_string(spec.env.size()) + " variables; at most " + std::to_string(SpecLimits::max_env_vars));
    const std::pair<const char*, const std::string*> paths[] = {
        {"cwd", &spec.cwd}, {"out_file", &spec.out_file}, {"error_file", &spec.error_file}, {"pid_file", &spec.pid_file}};
    for (const auto& [field, value] : paths) {
        if (has_nul(*value)) add(field, "the path contains a NUL byte");
        else if (value->size() > SpecLimits::max_path_length)
            add(field, "the path is " + std::to_string(value->size()) + " bytes long; at most " +
                           std::to_string(SpecLimits::max_path_length));
    }
    const std::pair<const char*, const std::string*> identities[] = {{"user", &spec.user}, {"group", &spec.group}};
    for (const auto& [field, value] : identities)
        if (has_nul(*value) || value->size() > 256) add(field, "'" + value->substr(0, 40) + "' is not a user or group name");
    if (spec.umask > 0777) add("umask", std::to_string(spec.umask) + " is not a umask (0000 to 0777, octal)");
    const std::pair<const char*, const std::optional<uint64_t>*> limits[] = {{"limit_nofile", &spec.limit_nofile},
                                                                           {"limit_nproc", &spec.limit_nproc},
                                                                           {"limit_core", &spec.limit_core},
                                                                           {"limit_memlock", &spec.limit_memlock}};
    for (const auto& [field, value] : limits)
        if (*value && **value != kLimitInfinity && **value > SpecLimits::max_limit_value)
            add(field, std::to_string(**value) + " is beyond any real limit; use \"infinity\"");
    if (spec.limit_nofile && *spec.limit_nofile < 3) add("limit_nofile", "an app needs at least 3 file descriptors (stdio)");
    return problems;
}

void validate_spec(const AppSpec& spec) {
    auto problems = find_spec_problems(spec);
    if (problems.empty()) return;
    std::string message;
    for (const auto& p : problems) {
        if (!message.empty()) message += '\n';
        message += "field '" + p.field + "': " + p.message;
    }
    throw Error(Error::Kind::InvalidSpec, message);
}

}  // namespace pmd
