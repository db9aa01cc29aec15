// pmd: the daemon. One process, one sd-event loop: the Manager (god/), the bus objects
// (bus/), signals and the service manager's notify/watchdog protocol all live in it.
#include <signal.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>

#include "bus/authorization.h"
#include "bus/bus_connection.h"
#include "bus/manager_object.h"
#include "cgroup/cgroup_tree.h"
#include "config/daemon_config.h"
#include "daemon/bus_choice.h"
#include "daemon/run_mode.h"
#include "event/event_loop.h"
#include "god/declared_apps.h"
#include "god/manager.h"
#include "logs/log_settings.h"
#include "logs/metrics_server.h"
#include "logs/pipe_output_router.h"

namespace {

struct DaemonOptions {
    pmd::BusChoice bus;
    std::string config = "/etc/pmd.toml";
    std::string state_dir = "/var/lib/pmd";
    std::string log_dir = "/var/log/pmd";
    std::string cgroup;
    bool verbose = false;
};

void setup_logging(bool verbose) {
    auto logger = spdlog::stderr_color_mt("pmd");
    // Under systemd the journal adds its own timestamps; the <N> prefix carries the priority.
    if (std::getenv("JOURNAL_STREAM")) logger->set_pattern("%v");
    else logger->set_pattern("%Y-%m-%d %H:%M:%S.%e pmd[%P] %^%l%$: %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::info);
}

// "/var/lib/pmd" -> "var-lib-pmd": names this daemon's subtree when it runs in the root cgroup.
std::string cgroup_key(const std::string& state_dir) {
    std::string key;
    for (char c : std::filesystem::absolute(state_dir).lexically_normal().string()) {
        if (c == '/') {
            if (!key.empty() && key.back() != '-') key += '-';
        } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.') {
            key += c;
        } else {
            key += '_';
        }
    }
    while (!key.empty() && (key.back() == '-' || key.front() == '-')) {
        if (key.back() == '-') key.pop_back();
        else key.erase(0, 1);
    }
    return key.empty() ? "root" : key;
}

void make_dir(const std::string& path, const char* what) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) throw std::runtime_error(std::string("cannot create the ") + what + " " + path + ": " + ec.message());
}

pmd::DaemonConfig read_config(const std::string& path) {
    try {
        return pmd::load_daemon_config(path);
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string(e.what()) + "\npmd did not start: fix " + path + " (or name another with --config)");
    }
}

void log_reload(const pmd::ReloadSummary& s) {
    auto list = [](const std::vector<std::string>& names) {
        std::string out;
        for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
        return out.empty() ? std::string("-") : out;
    };
    spdlog::info("apps_dir reloaded: added {}; changed {}; removed {}; unchanged {}", list(s.added), list(s.changed),
                 list(s.removed), list(s.unchanged));
    for (const auto& line : s.skipped) spdlog::warn("apps_dir reload skipped {}", line);
    for (const auto& line : s.errors) spdlog::error("apps_dir reload: {}", line);
}

int run_daemon(const DaemonOptions& opt) {
    make_dir(opt.state_dir, "state directory");
    make_dir(opt.log_dir, "log directory");
    // Read first, so a bad pmd.toml stops pmd before anything happens, with every position.
    const pmd::DaemonConfig config = read_config(opt.config);
    // state_dir of pmd.toml holds the dump unless --state-dir was given (as log_dir and --log-dir).
    const std::string state_dir = opt.state_dir == "/var/lib/pmd" ? config.state_dir : opt.state_dir;
    make_dir(state_dir, "state directory");

    pmd::EventLoop loop;
    std::string why;
    auto tree = pmd::CgroupTree::setup({opt.cgroup, cgroup_key(opt.state_dir)}, why);
    if (tree) {
        spdlog::info("tracking processes in cgroup2 {}{} ({})", tree->mount(), tree->root(),
                     tree->controllers().empty() ? "no controllers delegated: memory figures from /proc, no limits"
                                                 : "controllers enabled");
        for (const auto& left : tree->leftover_instances())
            spdlog::warn("cgroup {} holds processes of an earlier pmd; they are left alone", left);
    } else {
        spdlog::warn("no usable cgroup2 ({}): falling back to process groups; a process that leaves its "
                     "process group escapes stop", why);
    }

    // Who may manage apps (bus/authorization.h): admin_group of pmd.toml, and polkit where it answers.
    pmd::configure_access(pmd::make_access_rules(pmd::load_daemon_config(opt.config).admin_group, true));
    // Logs and metrics (logs/): stdout/stderr through pipes pmd reads, sinks and rotation per
    // pmd.toml; --log-dir, when not the built-in default, wins over log_dir.
    const pmd::DaemonConfig log_config = pmd::load_daemon_config(opt.config);
    pmd::LogSettings log_settings = pmd::log_settings(log_config, opt.log_dir == "/var/log/pmd" ? "" : opt.log_dir);
    make_dir(log_settings.log_dir, "log directory");
    pmd::PipeOutputRouter output(loop, log_settings);
    pmd::Manager manager(loop, tree.get(), output);
    manager.enable_notify(opt.state_dir + "/notify");

    auto connection = opt.bus.connect();
    pmd::BusConnection bus(loop, std::move(connection));
    pmd::DeclaredApps declared(manager, {config.apps_dir, state_dir + "/dump.toml", config.defaults, config.resurrect});
    pmd::ManagerObject manager_object(bus.get(), loop, manager, &declared);
    std::unique_ptr<pmd::MetricsServer> metrics;
    if (!log_config.metrics_listen.empty())
        metrics = std::make_unique<pmd::MetricsServer>(loop, manager, output, log_config.metrics_listen);
    try {
        bus.get().requestName("org.pmd.God1");
    } catch (const sdbus::Error& e) {
        throw std::runtime_error("cannot own org.pmd.God1 on " + opt.bus.describe() + ": " + e.getMessage() +
                                 " (is another pmd running there?)");
    }

    bool stopping = false;
    auto shutdown = [&](int sig) {
        if (stopping) {
            spdlog::info("got signal {} again; still stopping apps", sig);
            return;
        }
        stopping = true;
        spdlog::info("got signal {}: stopping every app, then exiting", sig);
        sd_notify(0, "STOPPING=1\nSTATUS=Stopping apps");
        manager.stop("all", [&](std::optional<pmd::Error>) { loop.exit(0); });
    };
    auto term = loop.add_signal(SIGTERM, shutdown);
    auto interrupt = loop.add_signal(SIGINT, shutdown);
    // systemctl reload pmd (ExecReload) sends SIGHUP: re-read apps_dir as pmctl daemon-reload.
    auto hangup = loop.add_signal(SIGHUP, [&](int) {
        spdlog::info("got SIGHUP: re-reading {}", config.apps_dir);
        sd_notify(0, "RELOADING=1\nSTATUS=Re-reading apps_dir");
        declared.reload([&](std::optional<pmd::Error> error, pmd::ReloadSummary summary) {
            if (error) spdlog::error("SIGHUP: {}", error->what());
            else log_reload(summary);
            sd_notifyf(0, "READY=1\nSTATUS=Managing apps on %s", opt.bus.describe().c_str());
        });
    });
    signal(SIGPIPE, SIG_IGN);

    // Boot start (apps_dir, then the dump) happens before READY=1, so `systemctl start pmd`
    // returns with the configured apps already spawned.
    declared.boot();
    loop.enable_watchdog();
    sd_notifyf(0, "READY=1\nSTATUS=Managing apps on %s\nMAINPID=%d", opt.bus.describe().c_str(), getpid());
    spdlog::info("pmd {} ready on {}", PMD_VERSION, opt.bus.describe());
    int code = loop.run();
    spdlog::info("pmd exiting");
    return code < 0 ? 1 : code;
}

}  // namespace

int main(int argc, char** argv) {
    DaemonOptions opt;
    CLI::App cli{"pmd: process manager daemon (owns org.pmd.God1 on D-Bus; pmctl is its client)", "pmd"};
    cli.set_version_flag("--version", PMD_VERSION);
    bool system_bus = false;
    auto* system_flag = cli.add_flag("--system", system_bus, "Own org.pmd.God1 on the system bus (default)");
    auto* user_flag = cli.add_flag("--user", opt.bus.user, "Own org.pmd.God1 on the user's session bus");
    auto* bus_opt = cli.add_option("--bus", opt.bus.address, "Own org.pmd.God1 on the bus at this D-Bus address (unix:path=...)");
    system_flag->excludes(user_flag)->excludes(bus_opt);
    user_flag->excludes(bus_opt);
    cli.add_option("--config", opt.config, "Daemon settings file")->capture_default_str();
    cli.add_option("--state-dir", opt.state_dir, "Where pmd keeps its state (dump, runtime)")->capture_default_str();
    cli.add_option("--log-dir", opt.log_dir, "Where app log files go by default")->capture_default_str();
    cli.add_option("--cgroup", opt.cgroup, "cgroup2 subtree to manage, relative to the cgroup2 mount (default: pmd's own delegated cgroup)");
    cli.add_flag("-v,--verbose", opt.verbose, "Log debug messages");
    pmd::RunOptions run;
    auto* run_cmd = cli.add_subcommand("run", "Container mode (like pm2-runtime): start the apps of FILE in the "
                                              "foreground, their output on pmd's stdout/stderr, no D-Bus; exit when "
                                              "told (SIGTERM/SIGINT) or when every app has stopped");
    run_cmd->add_option("file", run.file, "App file ([[app]] tables)")->required();
    run_cmd->add_option("--env", run.profile, "Use env_<PROFILE> of each app over its env");
    run_cmd->add_option("--only", run.only, "Start only these apps (comma-separated)")->delimiter(',');
    CLI11_PARSE(cli, argc, argv);

    setup_logging(opt.verbose);
    try {
        if (run_cmd->parsed()) {
            run.cgroup = opt.cgroup;
            return pmd::run_foreground(run, read_config(opt.config));
        }
        return run_daemon(opt);
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        sd_notifyf(0, "STATUS=Failed: %s", e.what());
        return 1;
    }
}
