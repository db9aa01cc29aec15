// pmctl: the command line client of org.pmd.God1. It reads like systemctl: a verb, a name,
// a one-line reason on failure. Exit codes: 0 done; 1 pmd refused or failed (message says
// why); 2 usage error; 3 pmd unreachable; 4 no such app.
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <algorithm>
#include <iostream>
#include <map>
#include <optional>

#include "base/error.h"
#include "base/quantity.h"
#include "base/signal_name.h"
#include "bus/spec_codec.h"
#include "config/app_file.h"
#include "config/did_you_mean.h"
#include "ctl/app_table.h"
#include "ctl/bus_connect.h"
#include "ctl/completion_command.h"
#include "ctl/ctl_command.h"
#include "ctl/god_client.h"
#include "ctl/import_command.h"
#include "ctl/log_command.h"
#include "ctl/monit.h"
#include "ctl/readiness_wait.h"
#include "ctl/variant_json.h"

namespace {

using pmd::CtlFailure;
using pmd::VariantDict;

struct StartOptions {
    std::string name;
    std::string instances;
    std::string cwd;
    std::vector<std::string> env;
    std::string user;
    std::string kill_timeout, restart_delay, min_uptime;
    std::optional<uint32_t> max_restarts;
    bool no_autorestart = false;
    std::vector<std::string> listen;
    bool wait_ready = false;
    std::string exec_mode;  // "" (PM2's default), fork, cluster
    bool cluster = false, execute_command = false;
    bool reuse_port = false;
    std::string listen_timeout, watchdog;
    std::optional<uint32_t> reload_batch;
    std::string cron_restart, max_memory_restart, watch_delay;  // PM2's --cron-restart, --max-memory-restart
    bool watch = false;
    std::vector<std::string> ignore_watch;
    std::vector<std::string> only;
    std::vector<std::string> positionals;  // before `--`: an app file, an app's name, or a script and its arguments
    std::vector<std::string> app_command;  // after `--`: the app's, never parsed as pmctl's
};

// `pmctl start FILE.toml`: pmd reads the file.
bool looks_like_app_file(const StartOptions& o) {
    if (o.positionals.size() != 1 || !o.app_command.empty()) return false;
    const auto& p = o.positionals.front();
    return p.ends_with(".toml") && std::filesystem::is_regular_file(p);
}

// PM2's interpreters by extension (PM2 says `python`; Debian has only python3).
std::optional<std::string> interpreter_for(const std::string& script) {
    static const std::map<std::string, std::string> by_extension{
        {".js", "node"}, {".cjs", "node"}, {".mjs", "node"}, {".py", "python3"},
        {".rb", "ruby"}, {".php", "php"},  {".sh", "bash"}};
    auto it = by_extension.find(std::filesystem::path(script).extension().string());
    if (it != by_extension.end()) {
        // Else the interpreter would start, fail, and be restarted until the app is errored.
        if (!std::filesystem::exists(script)) throw CtlFailure(2, "start: no script '" + script + "' (as PM2: script not found)");
        return it->second;
    }
    // A file that cannot be executed is a script for node, as PM2 decides; a command that is
    // no file here is looked up in PATH by pmd.
    if (std::filesystem::is_regular_file(script) && ::access(script.c_str(), X_OK) != 0) return "node";
    return std::nullopt;
}

// PM2's exec_mode: --cluster, --exec-mode, -x (fork); else, as PM2 decides, cluster when -i
// is given and the script is node's, fork otherwise.
std::string exec_mode_of(const StartOptions& o) {
    if (o.cluster) return "cluster";
    if (o.execute_command) return "fork";
    if (!o.exec_mode.empty()) return o.exec_mode.substr(0, o.exec_mode.find('_'));  // PM2's fork_mode, cluster_mode
    bool node_script = !o.positionals.empty() && interpreter_for(o.positionals.front()) == "node";
    return node_script && !o.instances.empty() ? "cluster" : "";
}

// What the app runs: `-- CMD [ARG...]` as given, or PM2's `SCRIPT [ARG...] [-- ARG...]` with the
// script's interpreter in front.
std::vector<std::string> app_command(const StartOptions& o) {
    if (o.positionals.empty()) return o.app_command;
    std::vector<std::string> command;
    if (auto interpreter = interpreter_for(o.positionals.front())) command.push_back(*interpreter);
    command.insert(command.end(), o.positionals.begin(), o.positionals.end());
    command.insert(command.end(), o.app_command.begin(), o.app_command.end());
    return command;
}

std::string checked_duration(const std::string& flag, const std::string& text) {
    if (!pmd::parse_duration(text))
        throw CtlFailure(2, flag + ": '" + text + "' is not a duration (examples: 1600, 500ms, 5s, 1m30s)");
    return text;
}

VariantDict spec_from_flags(const StartOptions& o) {
    VariantDict spec;
    std::vector<std::string> command = app_command(o);
    if (command.empty()) throw CtlFailure(2, "start: what to run? pmctl start SCRIPT, pmctl start FILE.toml or pmctl start [OPTIONS] -- CMD [ARG...]");
    // PM2 names an app after the first word the user typed: `server.py` is "server", and
    // `python3 -- server.py` (pmctl: `-- python3 server.py`) is "python3".
    const std::string& first_word = o.positionals.empty() ? o.app_command.front() : o.positionals.front();
    std::string name = o.name;
    if (name.empty()) {
        name = std::filesystem::path(first_word).stem().string();
        if (name.empty()) throw CtlFailure(2, "cannot derive an app name from '" + first_word + "'; pass -n NAME");
    }
    spec["name"] = sdbus::Variant(name);
    spec["command"] = sdbus::Variant(command);
    std::string cwd = o.cwd.empty() ? std::filesystem::current_path().string()
                                    : std::filesystem::absolute(o.cwd).lexically_normal().string();
    spec["cwd"] = sdbus::Variant(cwd);
    if (!o.instances.empty()) {
        if (o.instances == "max") {
            spec["instances"] = sdbus::Variant(std::string("max"));
        } else {
            try {
                size_t used = 0;
                long n = std::stol(o.instances, &used);
                if (used != o.instances.size() || n < 1) throw std::invalid_argument("");
                spec["instances"] = sdbus::Variant(static_cast<int64_t>(n));
            } catch (const std::exception&) {
                throw CtlFailure(2, "-i: '" + o.instances + "' is not a positive number or 'max'");
            }
        }
    }
    std::map<std::string, std::string> env;
    for (const auto& kv : o.env) {
        auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0)
            throw CtlFailure(2, "--env: '" + kv + "' is not KEY=VALUE (a profile name like 'production' only goes with an app file)");
        env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    if (!env.empty()) spec["env"] = sdbus::Variant(env);
    if (!o.user.empty()) spec["user"] = sdbus::Variant(o.user);
    if (!o.kill_timeout.empty()) spec["kill_timeout"] = sdbus::Variant(checked_duration("--kill-timeout", o.kill_timeout));
    if (!o.restart_delay.empty()) spec["restart_delay"] = sdbus::Variant(checked_duration("--restart-delay", o.restart_delay));
    if (!o.min_uptime.empty()) spec["min_uptime"] = sdbus::Variant(checked_duration("--min-uptime", o.min_uptime));
    if (o.max_restarts) spec["max_restarts"] = sdbus::Variant(static_cast<int64_t>(*o.max_restarts));
    if (o.no_autorestart) spec["autorestart"] = sdbus::Variant(false);
    if (!o.listen.empty()) spec["listen"] = sdbus::Variant(o.listen);
    if (o.wait_ready) spec["wait_ready"] = sdbus::Variant(true);
    if (auto mode = exec_mode_of(o); !mode.empty()) spec["exec_mode"] = sdbus::Variant(mode);
    if (o.reuse_port) spec["reuse_port"] = sdbus::Variant(true);
    if (!o.listen_timeout.empty()) spec["listen_timeout"] = sdbus::Variant(checked_duration("--listen-timeout", o.listen_timeout));
    if (!o.watchdog.empty()) spec["watchdog_sec"] = sdbus::Variant(checked_duration("--watchdog", o.watchdog));
    if (o.reload_batch) spec["reload_batch"] = sdbus::Variant(static_cast<int64_t>(*o.reload_batch));
    // Restart triggers: pmd checks the values (cron syntax, sizes) and answers InvalidSpec.
    if (!o.cron_restart.empty()) spec["cron_restart"] = sdbus::Variant(o.cron_restart);
    if (!o.max_memory_restart.empty()) spec["max_memory_restart"] = sdbus::Variant(o.max_memory_restart);
    if (o.watch) spec["watch"] = sdbus::Variant(true);
    if (!o.ignore_watch.empty()) spec["ignore_watch"] = sdbus::Variant(o.ignore_watch);
    if (!o.watch_delay.empty()) spec["watch_delay"] = sdbus::Variant(checked_duration("--watch-delay", o.watch_delay));
    return spec;
}

// As `pm2 start` waits for the ready message of apps with wait_ready: every instance ready, or
// exit 3 past --timeout naming those that are not.
void wait_for_readiness(pmd::GodClient& client, const pmd::BusChoice& bus, const std::vector<sdbus::ObjectPath>& apps) {
    auto waiting = pmd::apps_waiting_for_ready(client.connection(), apps);
    if (!waiting.empty()) pmd::wait_until_ready(client.connection(), waiting, bus.call_timeout.value_or(pmd::kDefaultCallTimeout));
}

// pmd reads the file itself, so [defaults] of pmd.toml apply and the check is all or nothing.
int start_file(pmd::GodClient& client, const pmd::BusChoice& bus, const StartOptions& o) {
    std::string profile;
    for (const auto& e : o.env) {
        if (e.find('=') != std::string::npos) throw CtlFailure(2, "--env KEY=VALUE does not go with an app file; put env in the file");
        profile = e;
    }
    auto path = std::filesystem::absolute(o.positionals.front()).lexically_normal().string();
    auto apps = client.start_file(path, profile, o.only);
    wait_for_readiness(client, bus, apps);
    for (const auto& app : apps) {
        char* name = nullptr;
        bool decoded = sd_bus_path_decode(app.c_str(), "/org/pmd/God1/app", &name) > 0 && name;
        std::cout << "Started " << (decoded ? name : app.c_str()) << "\n";
        std::free(name);
    }
    return 0;
}

// "added: web" lines for the kinds that are not empty; "nothing changed" otherwise. A changed
// app is printed as how it got its new spec (reloaded, restarted: why, updated); "changed" only
// from a pmd that does not say how.
int print_reload(const VariantDict& summary) {
    bool any = false;
    int code = 0;
    bool says_how = summary.count("reloaded") > 0;
    for (const char* kind : {"added", "changed", "reloaded", "restarted", "updated", "removed", "skipped", "errors"}) {
        if (says_how && std::string(kind) == "changed") continue;
        auto it = summary.find(kind);
        if (it == summary.end()) continue;
        auto names = it->second.get<std::vector<std::string>>();
        if (names.empty()) continue;
        any = true;
        bool bad = std::string(kind) == "errors" || std::string(kind) == "skipped";
        if (std::string(kind) == "errors") code = 1;
        const char* note = std::string(kind) == "updated" ? " (stopped: new spec, not started)" : "";
        for (const auto& name : names) (bad ? std::cerr : std::cout) << kind << ": " << name << note << "\n";
    }
    if (!any) std::cout << "nothing changed\n";
    return code;
}

// The verb of a command line CLI11 refused, if it names no command: the first word that is
// neither an option nor the value of one of pmctl's own options.
std::optional<std::string> unknown_verb(const CLI::App& cli, const std::vector<std::string>& args) {
    for (size_t i = 0; i < args.size(); ++i) {
        const auto& arg = args[i];
        if (arg.starts_with("-") && arg.find('=') == std::string::npos) {
            const CLI::Option* opt = nullptr;
            try {
                opt = cli.get_option(arg);
            } catch (const CLI::OptionNotFound&) {
            }
            if (opt && opt->get_expected_max() != 0) {
                ++i;
                continue;
            }
        }
        if (arg.starts_with("-")) continue;
        for (const auto* sub : cli.get_subcommands([](const CLI::App*) { return true; })) {
            if (sub->check_name(arg)) return std::nullopt;
        }
        return arg;
    }
    return std::nullopt;
}

std::string did_you_mean_command(CLI::App& cli, const std::string& word) {
    std::vector<std::string> names;
    for (auto* sub : cli.get_subcommands([](CLI::App*) { return true; })) {
        names.push_back(sub->get_name());
        for (const auto& alias : sub->get_aliases()) names.push_back(alias);
    }
    std::vector<std::string_view> candidates(names.begin(), names.end());
    return pmd::did_you_mean_suffix(word, candidates);
}

void print_json_list(const std::vector<VariantDict>& apps) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& app : apps) out.push_back(pmd::variant_map_to_json(app));
    std::cout << out.dump(2) << "\n";
}

// pm2 pid: the pids of an app's running instances (or every app's), one a line.
int print_pids(const std::vector<VariantDict>& apps, const std::string& name) {
    bool found = name.empty();
    for (const auto& app : apps) {
        if (!name.empty() && app.at("name").get<std::string>() != name) continue;
        found = true;
        for (const auto& instance : app.at("instances").get<std::vector<VariantDict>>()) {
            auto pid = instance.find("pid");
            if (pid != instance.end() && pid->second.get<int32_t>() > 0) std::cout << pid->second.get<int32_t>() << "\n";
        }
    }
    if (!found) throw CtlFailure(4, "no app named '" + name + "'");
    return 0;
}

// The app named `name`, if pmd has one.
std::optional<VariantDict> find_app(const std::vector<VariantDict>& apps, const std::string& name) {
    for (const auto& app : apps)
        if (app.at("name").get<std::string>() == name) return app;
    return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"pmctl: control pmd, the process manager (org.pmd.God1 on D-Bus)", "pmctl"};
    cli.require_subcommand(1);
    cli.set_version_flag("--version", PMD_VERSION);
    pmd::BusChoice bus;
    bool system_bus = false;
    auto* system_flag = cli.add_flag("--system", system_bus, "Talk to pmd on the system bus (default)");
    auto* user_flag = cli.add_flag("--user", bus.user, "Talk to pmd on the user's session bus");
    auto* bus_opt = cli.add_option("--bus", bus.address, "Talk to pmd on the bus at this D-Bus address")->type_name("ADDRESS");
    auto* host_opt = cli.add_option("-H,--host", bus.host, "Talk to pmd on [user@]host's system bus over SSH")->type_name("HOST");
    system_flag->excludes(user_flag)->excludes(bus_opt)->excludes(host_opt);
    user_flag->excludes(bus_opt)->excludes(host_opt);
    bus_opt->excludes(host_opt);
    std::string timeout_text;
    cli.add_option("--timeout", timeout_text,
                   "How long to wait for the bus and for each answer of pmd (default 25s; stop, restart, "
                   "scale and daemon-reload wait as long as stopping takes; start --wait-ready as long as readiness)")
        ->type_name("DURATION");

    // Walks the whole App when it runs, so it covers every command registered below.
    auto& completion = pmd::add_completion_command(cli);

    StartOptions start;
    auto* start_cmd = cli.add_subcommand("start", "Start an app: pmctl start [OPTIONS] -- CMD [ARG...], pmctl start SCRIPT "
                                                  "[OPTIONS] [-- ARG...], pmctl start FILE.toml, or pmctl start NAME (a stopped app)");
    start_cmd->add_option("-n,--name", start.name, "App name (default: the script's or command's base name without extension)")
        ->type_name("NAME");
    start_cmd->add_option("-i,--instances", start.instances, "Number of instances, or 'max' for one per CPU")->type_name("N|max");
    start_cmd->add_option("--cwd", start.cwd, "Working directory (default: the current one)")->type_name("DIR");
    // One value per occurrence, repeatable: `--env A=1 server.js` leaves server.js the script.
    start_cmd->add_option("--env", start.env, "Environment KEY=VALUE (repeatable); with an app file: the env_<profile> to use")
        ->type_name("KEY=VALUE")
        ->expected(1)
        ->allow_extra_args(false)
        ->take_all();
    start_cmd->add_option("--user", start.user, "Run as this user")->type_name("USER");
    start_cmd->add_option("--kill-timeout", start.kill_timeout, "Time between the stop signal and SIGKILL (default 1600ms)")
        ->type_name("DURATION");
    start_cmd->add_option("--restart-delay", start.restart_delay, "Wait this long before each automatic restart")->type_name("DURATION");
    start_cmd->add_option("--max-restarts", start.max_restarts, "Unstable restarts before the app is errored (default 16)");
    start_cmd->add_option("--min-uptime", start.min_uptime, "A run shorter than this is unstable (default 1s)")->type_name("DURATION");
    start_cmd->add_flag("--no-autorestart", start.no_autorestart, "Do not restart instances that exit");
    start_cmd->add_option("--listen", start.listen,
                          "Socket pmd binds once and passes to every instance (LISTEN_FDS): tcp:HOST:PORT, "
                          "tcp6:[ADDR]:PORT, unix:/path; repeatable")
        ->type_name("ADDRESS")
        ->expected(1)
        ->allow_extra_args(false)
        ->take_all();
    start_cmd->add_flag("--wait-ready", start.wait_ready,
                        "An instance is ready only once it sends READY=1 (sd_notify) or process.send('ready'); "
                        "pmctl returns when every instance is (within --timeout)");
    start_cmd->add_flag("--reuse-port", start.reuse_port, "Instances bind their own ports (SO_REUSEPORT); pmd passes no socket");
    start_cmd->add_option("--listen-timeout", start.listen_timeout, "How long readiness may take (default 3s, as PM2)")
        ->type_name("DURATION");
    start_cmd->add_option("--watchdog", start.watchdog, "Kill and replace an instance silent (no WATCHDOG=1) this long")
        ->type_name("DURATION");
    start_cmd->add_option("--reload-batch", start.reload_batch, "Instances replaced at a time by reload (default 1)");
    auto* exec_mode_opt = start_cmd->add_option("--exec-mode", start.exec_mode,
                          "PM2's exec_mode: cluster shares the ports the instances bind themselves (default: cluster "
                          "for a node script with -i, as PM2, else fork)")
        ->check(CLI::IsMember({"fork", "cluster", "fork_mode", "cluster_mode"}));
    auto* cluster_flag = start_cmd->add_flag("--cluster", start.cluster, "--exec-mode cluster");
    auto* fork_flag = start_cmd->add_flag("-x,--execute-command", start.execute_command, "--exec-mode fork (PM2's -x)");
    exec_mode_opt->excludes(cluster_flag)->excludes(fork_flag);
    cluster_flag->excludes(fork_flag);
    start_cmd->add_option("--cron-restart,-c", start.cron_restart,
                          "Restart (clusters: reload) on this cron schedule, e.g. '0 3 * * *' or 'CRON_TZ=UTC 0 3 * * *'")
        ->type_name("CRON");
    start_cmd->add_option("--max-memory-restart", start.max_memory_restart, "Restart an instance above this memory, e.g. 500M")
        ->type_name("SIZE");
    start_cmd->add_flag("--watch", start.watch, "Restart (clusters: reload) when files under the working directory change");
    start_cmd->add_option("--ignore-watch", start.ignore_watch, "Glob not watched (repeatable)")->type_name("GLOB")->expected(1)->allow_extra_args(false)->take_all();
    start_cmd->add_option("--watch-delay", start.watch_delay, "Quiet time after the last change before restarting (default 1s)")
        ->type_name("DURATION");
    start_cmd->add_option("--only", start.only, "With an app file: start only these apps")
        ->delimiter(',')
        ->type_name("APP,...")
        ->expected(1)
        ->allow_extra_args(false)
        ->take_all();
    start_cmd->add_option("script", start.positionals,
                          "An app file (.toml), a stopped app's name, or a script and its arguments (interpreter from "
                          "the extension: .js node, .py python3, .rb ruby, .php php, .sh bash); after --: the command")
        ->type_name("SCRIPT");

    std::string target;
    std::vector<std::pair<CLI::App*, std::string>> actions;
    for (auto [verb, method, help] : {std::tuple{"stop", "Stop", "Stop an app (or all): stop signal, kill_timeout, then kill"},
                                      std::tuple{"restart", "Restart", "Restart an app (or all)"},
                                      std::tuple{"delete", "Delete", "Stop an app (or all) and forget it"}}) {
        auto* sub = cli.add_subcommand(verb, help);
        sub->add_option("name", target, "App name, or 'all'")->required()->type_name("APP|all");
        actions.emplace_back(sub, method);
    }
    auto* reload_cmd = cli.add_subcommand("reload", "Rolling reload: replace instances one batch at a time, no dropped connection");
    reload_cmd->add_option("name", target, "App name, or 'all'")->required()->type_name("APP|all");
    std::string scale_text;
    auto* scale_cmd = cli.add_subcommand("scale", "Change the number of instances of an app, live");
    scale_cmd->add_option("name", target, "App name")->required()->type_name("APP");
    scale_cmd->add_option("instances", scale_text, "New number of instances, or 'max' for one per CPU")->required();
    bool json = false;
    auto* ls_cmd = cli.add_subcommand("ls", "List apps and their instances");
    ls_cmd->alias("list");
    ls_cmd->alias("status");
    ls_cmd->add_flag("--json", json, "Print JSON: an array of apps with their instances");
    auto* jlist_cmd = cli.add_subcommand("jlist", "pmctl ls --json (PM2's name)");
    auto* prettylist_cmd = cli.add_subcommand("prettylist", "pmctl ls --json, indented (PM2's name)");
    std::string pid_name;
    auto* pid_cmd = cli.add_subcommand("pid", "Print the pids of an app's running instances (or every app's), one a line");
    pid_cmd->add_option("name", pid_name, "App name (default: every app)")->type_name("APP");
    auto* describe_cmd = cli.add_subcommand("describe", "Show everything pmd knows about an app");
    describe_cmd->alias("show");
    describe_cmd->add_option("name", target, "App name")->required()->type_name("APP");
    describe_cmd->add_flag("--json", json, "Print JSON (the app object's properties)");
    std::string signal_text;
    auto* signal_cmd = cli.add_subcommand("signal", "Send a signal to every running instance of an app");
    signal_cmd->add_option("signal", signal_text, "Signal name or number (SIGUSR2, USR2, 12)")->required()->type_name("SIGNAL");
    signal_cmd->add_option("name", target, "App name")->required()->type_name("APP");
    auto* ping_cmd = cli.add_subcommand("ping", "Check that pmd answers; prints its version");
    // Logs and monitoring (ctl/log_command.h, ctl/monit.h).
    pmd::LogsOptions logs;
    auto* logs_cmd = cli.add_subcommand("logs", "Show the last lines of every app's output (or one app's), and follow them");
    logs_cmd->add_option("name", logs.name, "App name (default: every app)")->type_name("APP");
    logs_cmd->add_option("-n,--lines", logs.lines, "Lines per log file (default 15)")->type_name("LINES");
    // A flag (a format only as --timestamp=FORMAT), so `logs --timestamp web` keeps web as the name.
    logs_cmd->add_flag("--timestamp{YYYY-MM-DD-HH:mm:ss}", logs.timestamp_format,
                       "Put the time each line is printed before it (PM2's; moment.js tokens with =FORMAT, "
                       "default YYYY-MM-DD-HH:mm:ss)");
    logs_cmd->add_flag("-f,--follow", logs.follow, "Keep printing new lines, across rotation, until Ctrl-C");
    auto* err_flag = logs_cmd->add_flag("--err", logs.err_only, "Only stderr");
    logs_cmd->add_flag("--out", logs.out_only, "Only stdout")->excludes(err_flag);
    std::string flush_name;
    auto* flush_cmd = cli.add_subcommand("flush", "Empty the log files of an app (or all)");
    flush_cmd->add_option("name", flush_name, "App name, or 'all' (default)")->default_val("all")->type_name("APP|all");
    auto* reopen_cmd = cli.add_subcommand("reopen-logs", "Reopen every log file (after an external logrotate moved them)");
    auto* monit_cmd = cli.add_subcommand("monit", "Live dashboard of every app: CPU, memory, restarts, state (q quits)");

    // Apps from files.
    auto* save_cmd = cli.add_subcommand("save", "Write every app's spec to pmd's dump (state dir), for resurrect and boot");
    auto* resurrect_cmd = cli.add_subcommand("resurrect", "Start the saved apps that are not running");
    auto* daemon_reload_cmd = cli.add_subcommand("daemon-reload", "Re-read apps_dir: start new apps, reload changed ones to their "
                                                                  "new spec (or restart them, saying why), delete "
                                                                  "removed ones; prints what changed");
    auto* daemon_reexec_cmd = cli.add_subcommand(
        "daemon-reexec", "Replace the running pmd with its binary on disk (after an upgrade) without touching any "
                         "app: same pids, no refused connection, no lost log line; waits until it answers again");
    std::string import_file;
    auto* import_cmd = cli.add_subcommand("import", "Convert a PM2 ecosystem file to a pmd app file (TOML on stdout, notes on stderr)");
    import_cmd->add_option("file", import_file, "ecosystem.config.js, .cjs, .mjs, .json, or process.yml (.yml, .yaml)")
        ->required()
        ->type_name("FILE");
    std::vector<pmd::CtlCommand> commands;  // each in its own file (ctl/ctl_command.h)
    commands.push_back(pmd::add_env_command(cli));
    commands.push_back(pmd::add_reset_command(cli));
    commands.push_back(pmd::add_report_command(cli));
    commands.push_back(pmd::add_startup_command(cli));
    commands.push_back(pmd::add_unstartup_command(cli));
    // Everything after the first `--` is the app's: CLI11 would go on reading a subcommand's
    // options there (`-- sh -c CMD` gave the app's -c to --cron-restart), so it never sees it.
    std::vector<std::string> args(argv + 1, argv + argc);
    auto dashdash = std::find(args.begin(), args.end(), "--");
    std::vector<std::string> ours(args.begin(), dashdash);
    if (dashdash != args.end()) start.app_command.assign(dashdash + 1, args.end());
    try {
        std::vector<std::string> reversed(ours.rbegin(), ours.rend());  // CLI11 takes them last first
        cli.parse(reversed);
        if (dashdash != args.end() && !start_cmd->parsed())
            throw CtlFailure(2, "'--' (the app's command follows) only goes with pmctl start");
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return cli.exit(e);  // --help, --version
        if (auto verb = unknown_verb(cli, ours)) {
            std::cerr << "pmctl: unknown command '" << *verb << "'" << did_you_mean_command(cli, *verb)
                      << "; pmctl --help lists them\n";
            return 2;
        }
        cli.exit(e);
        return 2;  // README's exit code for any usage error, whatever CLI11's own code
    } catch (const CtlFailure& e) {
        std::cerr << "pmctl: " << e.what() << "\n";
        return e.exit_code;
    }
    if (!timeout_text.empty()) {
        auto timeout = pmd::parse_duration(timeout_text);
        if (!timeout || timeout->count() <= 0) {
            std::cerr << "pmctl: --timeout: '" << timeout_text << "' is not a duration (examples: 1600, 500ms, 5s, 1m30s)\n";
            return 2;
        }
        bus.call_timeout = *timeout;
    }

    if (completion.command->parsed()) return pmd::run_completion(cli, completion, {"start"});
    try {
        for (auto& command : commands)
            if (command.sub->parsed()) return command.run(bus);
        if (logs_cmd->parsed()) return pmd::run_logs(bus, logs);
        if (flush_cmd->parsed()) return pmd::run_flush(bus, flush_name);
        if (reopen_cmd->parsed()) return pmd::run_reopen_logs(bus);
        if (monit_cmd->parsed()) return pmd::run_monit(bus);
        if (import_cmd->parsed()) return pmd::run_import(import_file);
        pmd::GodClient client(bus);
        if (start_cmd->parsed()) {
            if (looks_like_app_file(start)) return start_file(client, bus, start);
            // PM2's `start NAME` of an app it has: start it again rather than refuse the name.
            if (start.positionals.size() == 1 && start.app_command.empty() &&
                !std::filesystem::exists(start.positionals.front())) {
                if (auto app = find_app(client.list_apps(), start.positionals.front())) {
                    const auto& name = start.positionals.front();
                    bool was_online = app->at("state").get<std::string>() == "online";
                    client.act("Restart", name);
                    wait_for_readiness(client, bus, {client.app_path(name)});
                    std::cout << (was_online ? "Restarted " : "Started ") << name << "\n";
                    return 0;
                }
            }
            VariantDict spec = spec_from_flags(start);
            wait_for_readiness(client, bus, {client.start_app(spec)});
            std::cout << "Started " << spec["name"].get<std::string>() << "\n";
            return 0;
        }
        for (auto& [sub, method] : actions) {
            if (!sub->parsed()) continue;
            client.act(method, target);
            return 0;
        }
        if (reload_cmd->parsed()) {
            client.act("Reload", target);
            return 0;
        }
        if (scale_cmd->parsed()) {
            uint32_t n = 0;
            if (scale_text != "max") {
                size_t used = 0;
                long value = -1;
                try {
                    value = std::stol(scale_text, &used);
                } catch (const std::exception&) {
                }
                if (value < 1 || used != scale_text.size())
                    throw CtlFailure(2, "scale: '" + scale_text + "' is not a positive number or 'max'");
                n = static_cast<uint32_t>(value);
            }
            client.scale(target, n);
            return 0;
        }
        if (ls_cmd->parsed()) {
            auto apps = client.list_apps();
            if (json) print_json_list(apps);
            else std::cout << pmd::render_app_table(apps);
            return 0;
        }
        if (jlist_cmd->parsed() || prettylist_cmd->parsed()) {
            print_json_list(client.list_apps());
            return 0;
        }
        if (pid_cmd->parsed()) return print_pids(client.list_apps(), pid_name);
        if (describe_cmd->parsed()) {
            auto props = client.describe(target);
            if (json) std::cout << pmd::variant_map_to_json(props).dump(2) << "\n";
            else std::cout << pmd::render_app_description(props);
            return 0;
        }
        if (signal_cmd->parsed()) {
            auto sig = pmd::parse_signal(signal_text);
            if (!sig) throw CtlFailure(2, "'" + signal_text + "' is not a signal (examples: SIGUSR2, HUP, 15)");
            client.signal(target, *sig);
            return 0;
        }
        if (save_cmd->parsed()) {
            std::cout << "Saved every app to " << client.save() << "\n";
            return 0;
        }
        if (resurrect_cmd->parsed()) {
            auto started = client.resurrect();
            // A saved stopped app comes back stopped; "Started" would say otherwise.
            auto apps = started.empty() ? std::vector<VariantDict>{} : client.list_apps();
            for (const auto& name : started) {
                auto app = find_app(apps, name);
                bool stopped = app && app->count("state") && app->at("state").get<std::string>() == "stopped";
                std::cout << (stopped ? "Added " + name + " (stopped, as saved)" : "Started " + name) << "\n";
            }
            if (started.empty()) std::cout << "Every saved app is running already\n";
            return 0;
        }
        if (daemon_reload_cmd->parsed()) return print_reload(client.daemon_reload());
        if (daemon_reexec_cmd->parsed()) {
            client.daemon_reexec();
            return 0;
        }
        if (ping_cmd->parsed()) {
            std::cout << "pong (pmd " << client.ping() << ")\n";
            return 0;
        }
    } catch (const CtlFailure& e) {
        std::cerr << "pmctl: " << e.what() << "\n";
        return e.exit_code;
    } catch (const pmd::Error& e) {
        std::cerr << "pmctl: " << e.what() << "\n";
        return e.kind() == pmd::Error::Kind::InvalidSpec ? 2 : 1;
    } catch (const std::exception& e) {
        std::cerr << "pmctl: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
