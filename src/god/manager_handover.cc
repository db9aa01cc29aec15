// Manager's side of the handover (god/handover.h): what goes to the next pmd, and taking apps
// back, from a re-exec with every fd, or from the live file after a crash.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "base/proc_stat.h"
#include "cluster/listening_sockets.h"
#include "cluster/socket_address.h"
#include "god/manager.h"

namespace pmd {
namespace {

InstanceState parse_state(const std::string& name) {
    for (auto s : {InstanceState::Online, InstanceState::Stopping, InstanceState::WaitingRestart, InstanceState::Stopped,
                   InstanceState::Errored})
        if (state_name(s) == name) return s;
    return InstanceState::Stopped;
}

void keep_across_exec(int fd) {
    if (fd >= 0) ::fcntl(fd, F_SETFD, 0);
}

// When the process started, in clock ticks after boot; 0 if it is gone.
uint64_t start_ticks(pid_t pid) {
    auto stat = read_proc_stat(pid);
    return stat ? stat->start_time_ticks : 0;
}

uint64_t clock_usec(clockid_t clock) {
    struct timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

// When a process started, on CLOCK_MONOTONIC (EventLoop's clock): its boot-time start less the
// time the machine spent suspended.
uint64_t started_monotonic_usec(pid_t pid) {
    uint64_t ticks = start_ticks(pid);
    long hz = sysconf(_SC_CLK_TCK);
    uint64_t boot = ticks * 1'000'000 / static_cast<uint64_t>(hz > 0 ? hz : 100);
    uint64_t suspended = clock_usec(CLOCK_BOOTTIME) - clock_usec(CLOCK_MONOTONIC);
    return boot > suspended ? boot - suspended : 0;
}

}  // namespace

AppHandover Manager::snapshot(const App& app) const {
    AppHandover h;
    h.spec = app.spec;
    h.owner = app.owner;
    h.source = app.source;
    h.last_generation = app.last_generation;
    h.stop_requested = app.stop_requested;
    for (const auto& instance : app.instances) {
        InstanceHandover i;
        i.index = instance->index;
        i.generation = instance->generation;
        i.state = state_name(instance->state);
        i.want_running = instance->want_running;
        i.restarts = instance->restarts;
        i.pid = instance->process ? instance->process.pid() : 0;
        i.started_usec = instance->started_usec;
        i.cpu_base_nsec = instance->cpu_base_nsec;
        i.ready = instance->ready;
        i.status_text = instance->status_text;
        i.last_exit = instance->last_exit;
        h.instances.push_back(std::move(i));
    }
    return h;
}

Handover Manager::live_set() const {
    Handover h;
    for (const auto& [name, app] : apps_) h.apps.push_back(snapshot(*app));
    return h;
}

void Manager::check_handover_possible() const {
    for (const auto& [name, app] : apps_) {
        if (app->deleting || app->busy() || !app->incoming.empty())
            throw Error(Error::Kind::Busy, "app '" + name + "' is being reloaded or deleted; re-execute when it is done");
        for (const auto& instance : app->instances)
            if (instance->state == InstanceState::Stopping)
                throw Error(Error::Kind::Busy, "app '" + name + "' is stopping; re-execute when it is done");
    }
}

Handover Manager::export_handover() {
    check_handover_possible();
    Handover h;
    for (auto& [name, app] : apps_) {
        AppHandover a = snapshot(*app);
        for (size_t n = 0; n < app->instances.size(); ++n) {
            Instance& instance = *app->instances[n];
            // A running instance whose process already exited is handed over as it is: the
            // next pmd sees its pidfd readable and reaps it as usual.
            if (instance.process) a.instances[n].pidfd = instance.process.pidfd();
            // The Node app keeps its end; unread messages wait in the socket for the next pmd.
            if (instance.channel) a.instances[n].channel_fd = instance.channel->fd();
        }
        a.socket_fds = app->sockets.fds();
        if (app->shared_sockets) a.shared_socket_fds = app->shared_sockets->fds();
        a.log_slots = output_.release_slots(name);
        h.apps.push_back(std::move(a));
    }
    if (notify_) h.notify_fd = notify_->fd();
    for (int fd : handover_fds(h)) keep_across_exec(fd);
    return h;
}

// After a crash: the processes of each instance are whatever its cgroup holds. The main
// process is the oldest one (everything else in the cgroup was forked after it).
void Manager::find_instance_processes(App& app, AppHandover& handed) {
    if (!scopes_->tree()) return;
    for (InstanceHandover& i : handed.instances) {
        std::vector<pid_t> pids = scopes_->instance_scope(app.cgroup, i.index, i.generation)->procs();
        if (pids.empty()) continue;
        std::sort(pids.begin(), pids.end(), [](pid_t a, pid_t b) {
            uint64_t ta = start_ticks(a), tb = start_ticks(b);
            return ta != tb ? ta < tb : a < b;
        });
        for (pid_t pid : pids) {
            auto process = ProcessRef::open(pid);
            if (!process) continue;
            i.pid = pid;
            i.started_usec = started_monotonic_usec(pid);
            i.state = state_name(InstanceState::Online);
            i.pidfd = ::fcntl(process->pidfd(), F_DUPFD_CLOEXEC, 3);
            break;
        }
    }
    // Listen sockets: every worker holds them at fd 3.. (LISTEN_FDS); take them back from one.
    if (handed.socket_fds.empty() && !handed.spec.listen.empty() && !handed.spec.reuse_port) {
        for (const InstanceHandover& i : handed.instances) {
            if (i.pidfd < 0) continue;
            std::vector<int> fds;
            for (size_t n = 0; n < handed.spec.listen.size(); ++n) {
                int fd = static_cast<int>(syscall(SYS_pidfd_getfd, i.pidfd, static_cast<int>(3 + n), 0));
                if (fd < 0) break;
                fds.push_back(fd);
            }
            if (fds.size() == handed.spec.listen.size()) {
                handed.socket_fds = fds;
                break;
            }
            for (int fd : fds) ::close(fd);
        }
    }
    // Cluster mode: the sockets the instances bound are held by their processes (any of them:
    // behind a wrapper the server is not the main one); one per address is taken back, and
    // the `listen` sockets stay where they are.
    if (handed.shared_socket_fds.empty() && handed.spec.exec_mode == AppSpec::ExecMode::Cluster) {
        std::set<std::string> seen;
        for (int fd : handed.socket_fds)
            if (auto key = bound_address_key(fd)) seen.insert(key->key);
        for (const InstanceHandover& i : handed.instances) {
            for (pid_t pid : scopes_->instance_scope(app.cgroup, i.index, i.generation)->procs()) {
                auto process = ProcessRef::open(pid);
                if (!process) continue;
                for (UniqueFd& fd : listening_sockets_of(process->pidfd(), pid)) {
                    auto key = bound_address_key(fd.get());
                    if (key && seen.insert(key->key).second) handed.shared_socket_fds.push_back(fd.release());
                }
            }
        }
        if (!handed.shared_socket_fds.empty())
            spdlog::info("app {}: took {} shared socket(s) back from its instances", app.spec.name,
                         handed.shared_socket_fds.size());
    }
}

void Manager::adopt(AppHandover handed, bool after_crash) {
    if (apps_.count(handed.spec.name))
        throw Error(Error::Kind::AlreadyExists, "app '" + handed.spec.name + "' is already managed");
    auto app = std::make_unique<App>();
    app->id = next_app_id_++;
    app->owner = handed.owner;
    app->source = handed.source;
    app->spec = handed.spec;
    app->last_generation = handed.last_generation;
    app->stop_requested = handed.stop_requested;
    const std::string name = app->spec.name;
    try {
        plan_launch(*app);
    } catch (const Error& e) {
        // Its running processes are still adopted; a restart will fail the same way and say so.
        spdlog::warn("app {}: {}", name, e.what());
        app->plan.executable = app->spec.command.front();
    }
    app->cgroup = scopes_->app_dir(name);
    if (after_crash) find_instance_processes(*app, handed);
    if (!handed.socket_fds.empty()) {
        app->sockets = ListenSocketSet::adopt(handed.socket_fds, app->spec.listen, name);
    } else if (!app->spec.listen.empty() && !app->spec.reuse_port) {
        try {
            app->sockets = ListenSocketSet::bind_all(app->spec.listen, name);
        } catch (const Error& e) {
            spdlog::error("app {}: listen sockets not recovered: {}", name, e.what());
        }
    }
    if (!handed.shared_socket_fds.empty()) {
        // The sockets the instances bound come back with their addresses, read from the sockets.
        app->shared_sockets = std::make_shared<SharedSocketPool>();
        for (int fd : handed.shared_socket_fds) {
            UniqueFd owned(fd);
            fcntl(fd, F_SETFD, FD_CLOEXEC);
            if (auto address = bound_address_key(fd)) app->shared_sockets->keep(*address, std::move(owned));
        }
    }
    output_.app_added(app->spec, log_opener_for(app->owner));
    store_sockets(*app, true);
    bool pipes_back = !handed.log_slots.empty();
    output_.adopt_slots(name, std::move(handed.log_slots));

    App& ref = *app;
    apps_[name] = std::move(app);
    size_t running = 0;
    for (const InstanceHandover& i : handed.instances) {
        adopt_instance(ref, i);
        if (ref.instances.back()->process) ++running;
    }
    spdlog::info("app {}: taken back with {} running instance(s){}", name, running,
                 after_crash && running && !pipes_back
                     ? " (their output pipes died with the previous pmd: output is lost until they restart)"
                     : "");
    if (observer_) observer_->app_added(ref);
    if (on_change_) on_change_();
}

void Manager::adopt_instance(App& app, const InstanceHandover& handed) {
    auto owned = make_instance(app, handed.index, handed.generation);
    Instance& instance = *owned;
    app.instances.push_back(std::move(owned));
    instance.state = parse_state(handed.state);
    instance.want_running = handed.want_running;
    instance.restarts = handed.restarts;
    instance.started_usec = handed.started_usec;
    instance.cpu_base_nsec = handed.cpu_base_nsec;
    instance.status_text = handed.status_text;
    instance.last_exit = handed.last_exit;
    instance.scope = scopes_->instance_scope(app.cgroup, instance.index, instance.generation);
    // A pmd that died while retiring old instances of a reload may have left them frozen.
    instance.scope->thaw();
    auto key = key_of(app, instance);
    UniqueFd channel_fd(handed.channel_fd);
    if (handed.pid > 0 && handed.pidfd >= 0) {
        ::fcntl(handed.pidfd, F_SETFD, FD_CLOEXEC);
        instance.process = ProcessRef(handed.pid, UniqueFd(handed.pidfd));
        if (channel_fd) {
            ::fcntl(channel_fd.get(), F_SETFD, FD_CLOEXEC);
            instance.channel = NodeChannel::adopt(loop_, std::move(channel_fd), [this, key](const std::string& message) {
                on_node_message(key, message);
            });
        }
        instance.state = InstanceState::Online;
        instance.exit_watch =
            loop_.add_io(instance.process.pidfd(), EPOLLIN | EPOLLET, [this, key](uint32_t) { on_main_exit(key); });
        if (handed.ready) {
            instance.ready = true;
            arm_watchdog(app, instance);
        } else {
            arm_readiness(app, instance);
        }
        return;
    }
    // Nothing of it runs: it was meant to (a crash took it, or a restart was due), so the
    // restart policy decides as for any exit; otherwise it stays stopped or errored.
    if (instance.state == InstanceState::Online || instance.state == InstanceState::WaitingRestart ||
        instance.state == InstanceState::Stopping) {
        instance.state = InstanceState::Online;
        instance.want_running = true;
        if (instance.scope->populated()) {
            instance.scope->kill_all(instance.process);
            when_empty(app, instance, [this, key] { on_instance_down(key); });
        } else {
            instance.timer = loop_.add_timer(std::chrono::microseconds(0), [this, key] { on_instance_down(key); });
        }
    }
}

}  // namespace pmd
