// pmd: the daemon. One process, one sd-event loop: the Manager (god/), the bus objects
// (bus/), signals and the service manager's notify/watchdog protocol all live in it.
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <functional>
#include <iostream>

#include "base/fd_store_names.h"
#include "bus/authorization.h"
#include "bus/manager_object.h"
#include "cgroup/cgroup_tree.h"
#include "config/daemon_config.h"
#include "config/daemon_config_text.h"
#include "daemon/recent_log.h"
#include "bus/bus_choice.h"
#include "daemon/bus_session.h"
#include "daemon/run_mode.h"
#include "daemon/systemd_apps_scope.h"
#include "daemon/systemd_fd_store.h"
#include "event/event_loop.h"
#include "config/atomic_file.h"
#include "event/batched_task.h"
#include "god/declared_apps.h"
#include "god/handover.h"
#include "god/manager.h"
#include "logs/log_settings.h"
#include "metrics/metrics_server.h"
#include "logs/pipe_output_router.h"

namespace {

struct DaemonOptions {
    pmd::BusChoice bus;
    std::string config = "/etc/pmd.toml";
    std::string state_dir = "/var/lib/pmd";
    std::string log_dir = "/var/log/pmd";
    // Given on the command line: then they win over state_dir and log_dir of pmd.toml.
    bool state_dir_given = false;
    bool log_dir_given = false;
    std::string runtime_dir;  // default: /run/pmd, or <state-dir>/run with a --state-dir
    std::vector<std::string> argv;  // as started: a re-exec runs the same command line
    std::string cgroup;
    bool verbose = false;
};

void setup_logging(bool verbose) {
    auto logger = spdlog::stderr_color_mt("pmd");
    // Under systemd the journal adds its own timestamps; the <N> prefix carries the priority.
    if (std::getenv("JOURNAL_STREAM")) logger->set_pattern("%v");
    else logger->set_pattern("%Y-%m-%d %H:%M:%S.%e pmd[%P] %^%l%$: %v");
    logger->sinks().push_back(pmd::recent_log_sink());  // pmctl report's last warnings
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

constexpr const char* kHandoverEnv = "PMD_HANDOVER_FD";

// The handover a re-exec left in a memfd (god/handover.h); nullopt for an ordinary start.
std::optional<pmd::Handover> read_handover() {
    const char* value = std::getenv(kHandoverEnv);
    if (!value) return std::nullopt;
    int fd = std::atoi(value);
    unsetenv(kHandoverEnv);  // apps must not see it, nor a later exec
    std::string text;
    char buffer[65536];
    ssize_t n;
    ::lseek(fd, 0, SEEK_SET);
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
    ::close(fd);
    return pmd::handover_from_json(text, "the re-exec handover");
}

// Replaces this process with the binary at `exe`, handing every app over. Returns only if
// execve failed, with the apps given back to `manager`'s log router (nothing was lost).
void reexecute(const DaemonOptions& opt, const std::string& exe, pmd::Manager& manager) {
    pmd::Handover handover = manager.export_handover();
    std::string text = pmd::handover_to_json(handover);
    int fd = memfd_create("pmd-handover", 0);  // no MFD_CLOEXEC: the next pmd reads it
    if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        spdlog::error("re-exec: cannot write the handover: {}", std::strerror(errno));
    } else {
        setenv(kHandoverEnv, std::to_string(fd).c_str(), 1);
        sd_notify(0, "RELOADING=1\nSTATUS=Re-executing");
        spdlog::info("re-executing {} with {} app(s)", exe, handover.apps.size());
        std::vector<char*> args;
        for (const auto& a : opt.argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(exe.c_str(), args.data());
        spdlog::error("re-exec: cannot execute {}: {}; carrying on as before", exe, std::strerror(errno));
        unsetenv(kHandoverEnv);
    }
    if (fd >= 0) ::close(fd);
    for (auto& app : handover.apps) manager.output().adopt_slots(app.spec.name, std::move(app.log_slots));
    sd_notify(0, "READY=1");
}

// Fills a crash recovery's apps with the fds systemd kept for them (removed from `stored`):
// all listen sockets of an app or none, all four ends of a log slot or none.
size_t reclaim_stored_fds(pmd::Handover& handover, std::map<std::string, int>& stored) {
    auto take = [&](const std::string& name) {
        auto it = stored.find(name);
        if (it == stored.end()) return -1;
        int fd = it->second;
        stored.erase(it);
        return fd;
    };
    size_t reclaimed = 0;
    for (pmd::AppHandover& app : handover.apps) {
        const std::string& name = app.spec.name;
        std::vector<int> sockets;
        for (size_t n = 0; n < app.spec.listen.size(); ++n) sockets.push_back(take(pmd::fd_store_names::listen_socket(name, n)));
        if (!sockets.empty() && std::find(sockets.begin(), sockets.end(), -1) == sockets.end()) {
            app.socket_fds = sockets;
            reclaimed += sockets.size();
        } else {
            for (int fd : sockets)
                if (fd >= 0) ::close(fd);
        }
        for (const pmd::InstanceHandover& instance : app.instances) {
            auto end = [&](const char* stream, const char* which) {
                return take(pmd::fd_store_names::log_pipe(name, instance.index, stream, which));
            };
            pmd::LogSlotHandover slot{instance.index, {end("out", "r"), end("out", "w"), ""},
                                      {end("err", "r"), end("err", "w"), ""}};
            int fds[] = {slot.out.read_fd, slot.out.write_fd, slot.err.read_fd, slot.err.write_fd};
            if (std::find(std::begin(fds), std::end(fds), -1) == std::end(fds)) {
                app.log_slots.push_back(slot);
                reclaimed += 4;
            } else {
                for (int fd : fds)
                    if (fd >= 0) ::close(fd);
            }
        }
    }
    return reclaimed;
}

void log_reload(const pmd::ReloadSummary& s) {
    auto list = [](const std::vector<std::string>& names) {
        std::string out;
        for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
        return out.empty() ? std::string("-") : out;
    };
    spdlog::info("apps_dir reloaded: added {}; reloaded {}; restarted {}; updated (stopped) {}; removed {}; unchanged {}",
                 list(s.added), list(s.reloaded), list(s.restarted), list(s.updated), list(s.removed), list(s.unchanged));
    for (const auto& line : s.skipped) spdlog::warn("apps_dir reload skipped {}", line);
    for (const auto& line : s.errors) spdlog::error("apps_dir reload: {}", line);
}

int run_daemon(const DaemonOptions& opt) {
    // Read before anything else opens fds: the handover's fds are this process's already.
    std::optional<pmd::Handover> handover = read_handover();
    const bool reexecuted = handover.has_value();
    // After a crash under systemd: log pipes and listen sockets kept in its fd store.
    std::map<std::string, int> stored_fds = pmd::SystemdFdStore::take_stored_fds();
    // The binary to re-execute: the path it was started from, which a package upgrade fills
    // with the new version (/proc/self/exe would name the old, deleted one).
    std::error_code exe_error;
    const std::string self_exe = std::filesystem::read_symlink("/proc/self/exe", exe_error).string();
    const std::string runtime_dir = !opt.runtime_dir.empty()          ? opt.runtime_dir
                                    : opt.state_dir == "/var/lib/pmd" ? std::string("/run/pmd")
                                                                      : opt.state_dir + "/run";
    make_dir(runtime_dir, "runtime directory");
    const std::string live_file = runtime_dir + "/live.json";
    make_dir(opt.state_dir, "state directory");
    make_dir(opt.log_dir, "log directory");
    // Read first, so a bad pmd.toml stops pmd before anything happens, with every position.
    const pmd::DaemonConfig config = read_config(opt.config);
    // state_dir of pmd.toml holds the dump unless --state-dir was given (as log_dir and --log-dir).
    const std::string state_dir = opt.state_dir_given ? opt.state_dir : config.state_dir;
    make_dir(state_dir, "state directory");

    pmd::EventLoop loop;
    std::string why;
    // Under systemd with controllers delegated, the apps get a scope unit of their own, so
    // that systemd can always put a restarted pmd back into pmd.service.
    std::string apps_scope;
    if (opt.cgroup.empty() && opt.bus.address.empty()) {
        apps_scope = pmd::systemd_apps_scope(opt.bus.user, why);
        if (!why.empty()) spdlog::warn("no scope unit for the apps ({}): they live in pmd's own unit", why);
        else if (!apps_scope.empty()) spdlog::info("apps live in the scope unit of cgroup {}", apps_scope);
    }
    why.clear();
    auto tree = pmd::CgroupTree::setup({opt.cgroup, cgroup_key(opt.state_dir), apps_scope}, why);
    if (tree) {
        spdlog::info("tracking processes in cgroup2 {}{} ({})", tree->mount(), tree->root(),
                     tree->controllers().empty() ? "no controllers delegated: memory figures from /proc, no limits"
                                                 : "controllers enabled");
    } else {
        spdlog::warn("no usable cgroup2 ({}): falling back to process groups; a process that leaves its "
                     "process group escapes stop", why);
    }

    // Who may manage apps (bus/authorization.h): admin_group of pmd.toml, and polkit where it answers.
    pmd::configure_access(pmd::make_access_rules(config.admin_group, true));
    // Logs and metrics (logs/): stdout/stderr through pipes pmd reads, sinks and rotation per
    // pmd.toml; --log-dir, when given, wins over log_dir.
    pmd::LogSettings log_settings = pmd::log_settings(config, opt.log_dir_given ? opt.log_dir : "");
    make_dir(log_settings.log_dir, "log directory");
    pmd::PipeOutputRouter output(loop, log_settings);
    pmd::Manager manager(loop, pmd::make_process_scopes(loop, tree.get()), std::make_unique<pmd::SpawnLauncher>(), output);
    pmd::SystemdFdStore fd_store;
    if (fd_store.active()) {
        output.set_fd_store(&fd_store);
        manager.set_fd_store(&fd_store);
    }
    manager.enable_notify(opt.state_dir + "/notify", handover ? handover->notify_fd : -1);
    // A fresh broker after a re-exec: an instance asking during the exec binds alone.
    manager.enable_cluster(opt.state_dir + "/cluster");
    // After a crash (no handover, but the live file of a pmd that did not stop cleanly): the
    // apps it had, to take back from their cgroups.
    if (!handover && std::filesystem::exists(live_file)) {
        try {
            std::ifstream in(live_file);
            std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            handover = pmd::handover_from_json(text, live_file);
            spdlog::warn("{} is left from a pmd that did not stop cleanly: taking its {} app(s) back", live_file,
                         handover->apps.size());
            size_t reclaimed = reclaim_stored_fds(*handover, stored_fds);
            if (reclaimed) spdlog::info("took {} fd(s) back from systemd's fd store", reclaimed);
        } catch (const std::exception& e) {
            spdlog::error("{}; starting as after a reboot", e.what());
        }
    }

    // What pmctl report shows as the settings: the file's, with pmd's options applied.
    pmd::DaemonConfig effective = config;
    effective.state_dir = state_dir;
    effective.log_dir = log_settings.log_dir;
    const std::string report_config = pmd::daemon_config_text(effective);
    pmd::DeclaredApps declared(manager, {config.apps_dir, state_dir + "/dump.toml", config.defaults, config.resurrect});
    bool reexec_pending = false;
    pmd::EventSource reexec_step;
    auto schedule_reexec = [&] {
        manager.check_handover_possible();
        if (self_exe.empty()) throw pmd::Error(pmd::Error::Kind::Failed, "cannot find pmd's own binary (/proc/self/exe)");
        if (reexec_pending) return;
        reexec_pending = true;
        // After this iteration, so the method reply is on its way before the exec.
        reexec_step = loop.add_defer([&] {
            reexec_pending = false;
            try {
                reexecute(opt, self_exe, manager);
            } catch (const std::exception& e) {
                spdlog::error("re-exec: {}", e.what());
            }
            reexec_step = pmd::EventSource();
        });
    };
    pmd::BusSession bus(loop, manager, &declared, opt.bus.describe(),
                        {[&] {
                             std::string error = opt.bus.address_open_error();
                             if (!error.empty()) throw std::runtime_error("cannot connect: " + error);
                             return opt.bus.connect();
                         },
                         [&](pmd::ManagerObject& object) {
                             object.set_reexec(schedule_reexec);
                             object.set_report_sources({opt.config, report_config, opt.bus.describe(), pmd::recent_log_lines});
                         },
                         [](const std::string& status) { sd_notifyf(0, "STATUS=%s", status.c_str()); }});
    bus.attach();
    for (auto& [name, fd] : stored_fds) ::close(fd);  // what no app claimed
    stored_fds.clear();
    // Taken back before the name is owned, so the first ListApps sees them.
    if (handover) {
        for (auto& app : handover->apps) {
            std::string name = app.spec.name;
            try {
                manager.adopt(std::move(app), !reexecuted);
            } catch (const std::exception& e) {
                spdlog::error("app {}: not taken back: {}", name, e.what());
            }
        }
    }
    // Only what no app took back is someone else's: after a restart the instances an earlier
    // pmd left are this one's again.
    if (tree) {
        std::set<std::string> taken_back;
        for (const auto& app : manager.live_set().apps)
            for (const auto& instance : app.instances)
                taken_back.insert(tree->instance_relative(app.spec.name, instance.index, instance.generation));
        for (const auto& left : tree->leftover_instances(taken_back))
            spdlog::warn("cgroup {} holds processes of an earlier pmd; they are left alone", left);
    }
    // The live file follows every change: written once after a burst of them, and before the
    // bus is served again, so a client told "stopped" is answered again only once the file says
    // so and a pmd killed right after comes back to the state the client saw (BatchedTask).
    pmd::BatchedTask live_write(loop, [&] {
        try {
            pmd::write_file_atomically(live_file, pmd::handover_to_json(manager.live_set()), 0600, false);
        } catch (const std::exception& e) {
            spdlog::warn("{}", e.what());
        }
    }, std::chrono::milliseconds(50));
    manager.set_on_change([&] { live_write.schedule(); });
    std::unique_ptr<pmd::MetricsServer> metrics;
    if (!config.metrics_listen.empty())
        metrics = std::make_unique<pmd::MetricsServer>(loop, manager, output, config.metrics_listen);
    bus.own_name();

    bool stopping = false;
    std::error_code ignored;
    auto shutdown = [&](int sig) {
        if (stopping) {
            spdlog::info("got signal {} again; still stopping apps", sig);
            return;
        }
        stopping = true;
        spdlog::info("got signal {}: stopping every app, then exiting", sig);
        sd_notify(0, "STOPPING=1\nSTATUS=Stopping apps");
        manager.stop("all", [&](std::optional<pmd::Error>) {
            // A clean stop: the next pmd starts as after a reboot, not as after a crash.
            std::filesystem::remove(live_file, ignored);
            loop.exit(0);
        });
    };
    auto term = loop.add_signal(SIGTERM, shutdown);
    auto interrupt = loop.add_signal(SIGINT, shutdown);
    // SIGHUP re-reads apps_dir as pmctl daemon-reload. (systemctl reload pmd runs pmctl
    // daemon-reexec, then daemon-reload: see units/pmd.service.)
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
    // returns with the configured apps already spawned. After a re-exec or a crash the apps
    // are back already: nothing is started twice.
    if (!handover) declared.boot();
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
    cli.add_option("--runtime-dir", opt.runtime_dir,
                   "Where pmd keeps the live app set a restarted pmd takes back after a crash (default: /run/pmd, "
                   "or <state-dir>/run when --state-dir is given)");
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
    opt.argv.assign(argv, argv + argc);
    opt.state_dir_given = cli.count("--state-dir") > 0;
    opt.log_dir_given = cli.count("--log-dir") > 0;

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
