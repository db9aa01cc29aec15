// The life of one instance's runs: spawn, exit, restart by the policy, stop with kill_timeout.
#include "god/manager.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <tuple>

#include <spdlog/spdlog.h>

#include "base/quantity.h"
#include "base/signal_name.h"
#include "cluster/bind_protocol.h"
#include "cluster/elf_linking.h"
#include "cluster/preload_path.h"
#include "config/spec_validation.h"
#include "god/log_dirs.h"
#include "god/pid_file.h"
#include "satan/process_limits.h"


namespace pmd {

void Manager::spawn_instance(App& app, Instance& instance) {
    if (instance.scope && !instance.scope->reusable() && !instance.scope->populated()) {
        // A cgroup that had cgroup.kill would SIGKILL the new process at birth (see
        // CgroupDir::killed); the empty one is removed and the run gets a fresh cgroup.
        instance.scope->remove();
        instance.scope.reset();
        instance.generation = ++app.last_generation;
    }
    if (!instance.scope) instance.scope = scopes_->instance_scope(app.cgroup, instance.index, instance.generation);
    if (instance.scope->populated())
        throw Error(Error::Kind::Busy, "cgroup " + instance.scope->cgroup_path() +
                                           " still holds processes of an earlier run; they were left alone");

    SpawnRequest req;
    req.path = app.plan.executable;
    req.argv = app.spec.command;
    req.env = app.plan.base_env;
    req.env.push_back("PMD_INSTANCE=" + std::to_string(instance.index));
    if (!app.spec.instance_var.empty()) req.env.push_back(app.spec.instance_var + "=" + std::to_string(instance.index));
    if (!app.spec.increment_var.empty()) {
        // PM2's increment_var: the app's value (or 0) plus the instance index, e.g. PORT 8080, 8081...
        auto it = app.spec.env.find(app.spec.increment_var);
        long base = 0;
        if (it != app.spec.env.end()) base = std::strtol(it->second.c_str(), nullptr, 10);
        std::string prefix = app.spec.increment_var + "=";
        std::erase_if(req.env, [&](const std::string& kv) { return kv.rfind(prefix, 0) == 0; });
        req.env.push_back(prefix + std::to_string(base + instance.index));
    }
    if (notify_) req.env.push_back("NOTIFY_SOCKET=" + notify_->path());
    if (app.spec.watchdog_sec.count() > 0)
        req.env.push_back("WATCHDOG_USEC=" + std::to_string(app.spec.watchdog_sec.count() * 1000));
    if (app.spec.exec_mode == AppSpec::ExecMode::Cluster && bind_broker_) {
        // The library goes first, before any the app preloads itself, so its bind() is the one called.
        std::string preload = cluster_preload_path();
        auto old = std::find_if(req.env.begin(), req.env.end(),
                                [](const std::string& kv) { return kv.rfind("LD_PRELOAD=", 0) == 0; });
        if (old != req.env.end()) {
            if (old->size() > 11) preload += ":" + old->substr(11);
            req.env.erase(old);
        }
        req.env.push_back("LD_PRELOAD=" + preload);
        req.env.push_back(std::string(PMD_CLUSTER_SOCKET_ENV) + "=" + bind_broker_->path());
    }
    if (!app.sockets.empty()) {
        req.pass_fds = app.sockets.fds();
        req.set_listen_pid = true;
        req.env.push_back("LISTEN_FDS=" + std::to_string(req.pass_fds.size()));
        req.env.push_back("LISTEN_FDNAMES=" + app.sockets.names());
    }
    // The channel's fd follows the listen sockets, outside the LISTEN_FDS range.
    std::unique_ptr<NodeChannel> channel;
    UniqueFd channel_child_end;
    if (app.plan.node_channel) {
        auto key = key_of(app, instance);
        std::tie(channel, channel_child_end) =
            NodeChannel::open(loop_, [this, key](const std::string& message) { on_node_message(key, message); });
        req.env.push_back("NODE_CHANNEL_FD=" + std::to_string(3 + req.pass_fds.size()));
        req.env.push_back("NODE_CHANNEL_SERIALIZATION_MODE=json");
        req.pass_fds.push_back(channel_child_end.get());
    }
    req.cwd = app.spec.cwd;
    req.credentials = app.plan.credentials;
    instance.scope->prepare_spawn(app.spec, req);
    // Read while the cgroup is empty: nothing of the new run is counted in it yet.
    uint64_t cpu_base = instance.scope->cpu_nsec();
    InstanceOutput output;
    try {
        // Inside: out of fds, the pipes fail like the spawn does, and a respawn that cannot
        // happen must leave the instance errored with the reason, not in its old state.
        output = output_.instance_output(app.spec, instance.index);
        req.stdout_fd = output.stdout_fd.get();
        req.stderr_fd = output.stderr_fd.get();
        instance.process = launcher_->launch(req);
    } catch (const Error& e) {
        instance.state = InstanceState::Errored;
        instance.want_running = false;
        instance.last_exit = ExitRecord{0, "exec-failed", 127, e.what()};
        settle_readiness(app, instance, false, e.what());
        throw Error(e.kind(), "app '" + app.spec.name + "': " + e.what());
    }
    instance.channel = std::move(channel);
    write_pid_file(pid_file_for(app.spec, instance.index), instance.process.pid(), log_opener_for(app.owner));
    instance.state = InstanceState::Online;
    instance.spec_serial = app.spec_serial;
    instance.started_usec = loop_.now_usec();
    instance.cpu_base_nsec = cpu_base;
    instance.usage_usec = 0;
    instance.cpu_sample_usec = 0;
    instance.cpu_percent = 0;
    instance.status_text.clear();
    instance.trigger.reset();
    instance.restart_now = false;
    auto key = key_of(app, instance);
    // Edge-triggered: a pidfd stays readable until its exit is dispatched, and sd-event's
    // epoll_wait re-polled every one of a stop's exits on each iteration (O(N^2) in the kernel).
    instance.exit_watch =
        loop_.add_io(instance.process.pidfd(), EPOLLIN | EPOLLET, [this, key](uint32_t) { on_main_exit(key); });
    arm_readiness(app, instance);
    if (app.spec.max_memory_restart) guard_memory(app, instance);
    spdlog::debug("{}: pid {} started", label(app, instance), instance.process.pid());
}

void Manager::on_main_exit(const InstanceKey& key) {
    App* app_ptr = nullptr;
    Instance* instance = lookup(key, &app_ptr);
    if (!instance || !instance->process) return;
    auto status = instance->process.try_reap();
    if (!status) return;
    App& app = *app_ptr;
    pid_t pid = instance->process.pid();
    instance->exit_watch.reset();
    instance->watchdog_timer.reset();
    instance->memory_guard.reset();
    instance->health.reset();
    instance->channel.reset();
    instance->process.reset();
    remove_pid_file(pid_file_for(app.spec, instance->index), log_opener_for(app.owner));
    instance->last_exit = ExitRecord{pid, status->reason_name(), status->code, status->describe()};
    if (instance->trigger) {
        // pmd ended this run: the reason is pmd's, the status says how the process took it.
        instance->last_exit->reason = instance->trigger->reason;
        instance->last_exit->description = instance->trigger->description + " (" + status->describe() + ")";
        instance->trigger.reset();
    }
    // A clean exit is news, not trouble: the run of an autorestart = false app ends this way.
    bool clean = instance->last_exit->reason == "exited" && instance->last_exit->code == 0;
    if (instance->want_running && !clean) spdlog::warn("{}: pid {} {}", label(app, *instance), pid, instance->last_exit->description);
    else spdlog::info("{}: pid {} {}", label(app, *instance), pid, instance->last_exit->description);
    if (observer_) observer_->instance_exited(app, *instance, *instance->last_exit);
    if (!instance->ready) settle_readiness(app, *instance, false, instance->last_exit->description + " before it was ready");

    // The main process is gone; what it left behind (double-forked children) dies with it,
    // unless a stop is already running its own kill_timeout course.
    // Usually the main process was the cgroup's only one, and the kernel has marked the
    // cgroup empty before the pidfd turned readable: then no watch is needed at all.
    instance->scope->main_exited(pid);
    if (!instance->scope->populated()) {
        on_instance_down(key);
        return;
    }
    if (instance->state != InstanceState::Stopping) instance->scope->kill_all(instance->process);
    when_empty(app, *instance, [this, key] { on_instance_down(key); });
}

void Manager::when_empty(App& app, Instance& instance, std::function<void()> then) {
    if (!instance.scope->populated()) {
        then();
        return;
    }
    auto key = key_of(app, instance);
    instance.empty_watch = instance.scope->watch([this, key, then] {
        Instance* i = lookup(key);
        if (!i || i->scope->populated()) return;
        i->empty_watch.reset();
        then();
    });
    // The last process may have left between the first check and the watch.
    if (!instance.scope->populated()) {
        instance.empty_watch.reset();
        then();
    }
}

void Manager::on_instance_down(const InstanceKey& key) {
    App* app_ptr = nullptr;
    Instance* instance = lookup(key, &app_ptr);
    if (!instance) return;
    App& app = *app_ptr;
    instance->timer.reset();
    instance->ready = false;
    uint64_t uptime_ms = (loop_.now_usec() - instance->started_usec) / 1000;
    bool restart_now = std::exchange(instance->restart_now, false);

    auto settle = [&](InstanceState state) {
        instance->state = state;
        auto waiters = std::move(instance->on_down);
        instance->on_down.clear();
        changed(app);
        for (auto& w : waiters) w();
    };
    if (!instance->want_running) {
        settle(InstanceState::Stopped);
        return;
    }
    if (restart_now) {
        queue_respawn(app, *instance);
        return;
    }
    RestartDecision decision = instance->policy.on_exit(Millis(uptime_ms));
    switch (decision.action) {
        case RestartDecision::Action::Stay:
            instance->want_running = false;
            settle(InstanceState::Stopped);
            return;
        case RestartDecision::Action::Errored:
            spdlog::error("{}: {}; not restarting (pmctl restart {} to try again)", label(app, *instance),
                          decision.reason, app.spec.name);
            instance->want_running = false;
            settle(InstanceState::Errored);
            return;
        case RestartDecision::Action::Restart: break;
    }
    if (decision.delay.count() == 0) {
        queue_respawn(app, *instance);
        return;
    }
    instance->state = InstanceState::WaitingRestart;
    instance->timer = loop_.add_timer(std::chrono::duration_cast<std::chrono::microseconds>(decision.delay),
                                      [this, key] { respawn(key); });
    spdlog::info("{}: restarting in {} ({})", label(app, *instance), format_duration(decision.delay), decision.reason);
    changed(app);
}

// Spawns per iteration: each blocks pmd until its child has exec'd (a few ms on a busy
// machine), so this bounds how long a bus request waits behind a burst of restarts.
constexpr size_t kRespawnBatch = 4;

void Manager::queue_respawn(App& app, Instance& instance) {
    // Waiting like a delayed restart: a stop in the meantime settles it at once, and the
    // queued entry finds it no longer waiting.
    instance.state = InstanceState::WaitingRestart;
    respawns_.push_back(key_of(app, instance));
    if (!respawn_drain_) respawn_drain_ = loop_.add_defer([this] { drain_respawns(); });
    changed(app);
}

void Manager::drain_respawns() {
    respawn_drain_.reset();  // safe inside its own callback (event_loop.h)
    for (size_t n = 0; n < kRespawnBatch && !respawns_.empty(); ++n) {
        InstanceKey key = std::move(respawns_.front());
        respawns_.pop_front();
        respawn(key);
    }
    if (!respawns_.empty()) respawn_drain_ = loop_.add_defer([this] { drain_respawns(); });
}

void Manager::respawn(const InstanceKey& key) {
    App* a = nullptr;
    Instance* i = lookup(key, &a);
    // Stopped, deleted, or already running again (a start or reload got there first).
    if (!i || !i->want_running || i->state != InstanceState::WaitingRestart) return;
    i->timer.reset();
    ++i->restarts;
    try {
        spawn_instance(*a, *i);
    } catch (const Error& e) {
        spdlog::error("{}", e.what());
        auto waiters = std::move(i->on_down);
        i->on_down.clear();
        for (auto& w : waiters) w();
    }
    changed(*a);
}

void Manager::stop_instance(App& app, Instance& instance, std::function<void()> then) {
    instance.want_running = false;
    switch (instance.state) {
        case InstanceState::Stopped:
        case InstanceState::Errored:
            then();
            return;
        case InstanceState::WaitingRestart:
            instance.timer.reset();
            instance.state = InstanceState::Stopped;
            changed(app);
            then();
            return;
        case InstanceState::Stopping:
            instance.on_down.push_back(std::move(then));
            return;
        case InstanceState::Online: break;
    }
    instance.on_down.push_back(std::move(then));
    instance.memory_guard.reset();
    instance.health.reset();
    begin_stop(app, instance);
}

void Manager::begin_stop(App& app, Instance& instance) {
    instance.state = InstanceState::Stopping;
    instance.watchdog_timer.reset();
    settle_readiness(app, instance, false, "stopped before it was ready");
    changed(app);
    int sig = app.spec.stop_signal;
    if (app.spec.shutdown_with_message && instance.channel && instance.channel->send_string("shutdown")) {
        // PM2's shutdown_with_message: the message instead of the signal; the app decides how
        // to finish, and kill_timeout bounds it as for a signal.
        spdlog::debug("{}: sent 'shutdown' on its IPC channel", label(app, instance));
    } else {
        // Every process of the instance; kill_timeout later, all of them killed.
        instance.scope->signal_all(instance.process, sig);
    }
    auto key = key_of(app, instance);
    auto timeout = std::chrono::duration_cast<std::chrono::microseconds>(app.spec.kill_timeout);
    instance.timer = loop_.add_timer(timeout, [this, key] {
        App* a = nullptr;
        Instance* i = lookup(key, &a);
        if (!i || i->state != InstanceState::Stopping) return;
        spdlog::warn("{}: still running {} after the stop signal (kill_timeout), killing it", label(*a, *i),
                     format_duration(a->spec.kill_timeout));
        i->scope->kill_all(i->process);
    });
}

// Calls `then` once every given instance is down.
void Manager::when_all(std::vector<Instance*> targets, const std::function<void(Instance&, std::function<void()>)>& stop,
                       std::function<void()> then) {
    if (targets.empty()) {
        then();
        return;
    }
    auto remaining = std::make_shared<size_t>(targets.size());
    auto finish = std::make_shared<std::function<void()>>(std::move(then));
    for (Instance* i : targets)
        stop(*i, [remaining, finish] {
            if (--*remaining == 0) (*finish)();
        });
}

void Manager::stop_app(App& app, std::function<void()> then) {
    when_all(app.all_instances(), [this, &app](Instance& i, std::function<void()> done) { stop_instance(app, i, std::move(done)); },
             std::move(then));
}

}  // namespace pmd
