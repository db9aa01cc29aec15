#include "god/manager.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <spdlog/spdlog.h>

#include "base/signal_name.h"
#include "config/spec_validation.h"
#include "satan/process_limits.h"

namespace pmd {
namespace {

std::string label(const App& app, const Instance& instance) {
    return app.spec.name + "[" + std::to_string(instance.index) + "]";
}

std::vector<std::string> build_env(const AppSpec& spec, const std::optional<Credentials>& creds,
                                   const std::string& user_name) {
    std::map<std::string, std::string> env;
    env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    if (creds || geteuid() != 0 || !user_name.empty()) {
        std::vector<char> buf(16384);
        struct passwd pw, *pwp = nullptr;
        getpwuid_r(creds ? creds->uid : geteuid(), &pw, buf.data(), buf.size(), &pwp);
        if (pwp) {
            env["HOME"] = pw.pw_dir;
            env["USER"] = pw.pw_name;
            env["LOGNAME"] = pw.pw_name;
            env["SHELL"] = pw.pw_shell;
        }
    }
    env["PMD_APP"] = spec.name;
    for (const auto& [k, v] : spec.env) env[k] = v;
    std::vector<std::string> out;
    out.reserve(env.size());
    for (const auto& [k, v] : env) out.push_back(k + "=" + v);
    return out;
}

}  // namespace

Manager::Manager(EventLoop& loop, CgroupTree* tree, OutputRouter& output)
    : loop_(loop), tree_(tree), output_(output) {
    if (tree_) watcher_ = std::make_unique<CgroupEventsWatcher>(loop_);
}

Manager::~Manager() = default;

const App* Manager::find(const std::string& name) const {
    auto it = apps_.find(name);
    return it == apps_.end() ? nullptr : it->second.get();
}

std::vector<const App*> Manager::apps() const {
    std::vector<const App*> out;
    for (const auto& [name, app] : apps_) out.push_back(app.get());
    return out;
}

App& Manager::get(const std::string& name) {
    auto it = apps_.find(name);
    if (it == apps_.end() || it->second->deleting)
        throw Error(Error::Kind::NoSuchApp, "no app named '" + name + "' (pmctl ls lists the apps)");
    return *it->second;
}

Instance* Manager::lookup(uint64_t app_id, const std::string& app_name, unsigned index) {
    auto it = apps_.find(app_name);
    if (it == apps_.end() || it->second->id != app_id) return nullptr;
    auto& instances = it->second->instances;
    return index < instances.size() ? instances[index].get() : nullptr;
}

void Manager::changed(const App& app) {
    if (observer_) observer_->app_changed(app);
}

std::string Manager::cgroup_mode() const { return tree_ ? tree_->mode_name() : "process-group"; }
std::string Manager::cgroup_root() const { return tree_ ? tree_->root() : ""; }

std::string Manager::stats_source() const {
    if (!tree_) return "/proc of the main process (no cgroup2: process-group mode)";
    return usage_source(tree_->has_controller("memory"));
}

InstanceStats Manager::stats(const App&, const Instance& constant_instance) {
    // Only the CPU rate sample is updated here; it is bookkeeping of the reader, not state.
    auto& instance = const_cast<Instance&>(constant_instance);
    InstanceStats s;
    if (!instance.running()) return s;
    uint64_t now = loop_.now_usec();
    s.uptime_ms = (now - instance.started_usec) / 1000;
    ResourceUsage u = tree_ ? read_cgroup_usage(instance.cgroup, tree_->has_controller("memory"))
                            : read_proc_usage({instance.process.pid()});
    s.memory_bytes = u.memory_bytes;
    s.cpu_usage_nsec = u.cpu_usage_nsec;
    s.processes = u.processes;
    // Rate since the previous read, or since start on the first read; a read closer than
    // 200 ms to the previous one keeps the previous rate rather than dividing noise.
    uint64_t since = instance.cpu_sample_usec ? instance.cpu_sample_usec : instance.started_usec;
    uint64_t base = instance.cpu_sample_usec ? instance.cpu_sample_nsec : 0;
    if (now - since >= 200'000 || !instance.cpu_sample_usec) {
        if (now > since && u.cpu_usage_nsec >= base)
            instance.cpu_percent = 100.0 * static_cast<double>(u.cpu_usage_nsec - base) /
                                   (static_cast<double>(now - since) * 1000.0);
        instance.cpu_sample_usec = now;
        instance.cpu_sample_nsec = u.cpu_usage_nsec;
    }
    s.cpu_percent = instance.cpu_percent;
    return s;
}

const App& Manager::start(AppSpec spec, uid_t owner) {
    if (spec.cwd.empty()) spec.cwd = "/";
    if (spec.instances == 0) spec.instances = std::max(1u, std::thread::hardware_concurrency());
    validate_spec(spec);
    if (apps_.count(spec.name))
        throw Error(Error::Kind::AlreadyExists, "an app named '" + spec.name +
                                                    "' exists already (pmctl restart or delete it first)");

    auto app = std::make_unique<App>();
    app->id = next_app_id_++;
    app->owner = owner;
    app->spec = std::move(spec);
    const AppSpec& s = app->spec;

    // Everything that can be checked before a process exists is checked here, so the caller
    // gets "no such file" or "unknown user" as an answer rather than as a crash loop.
    struct stat st;
    if (stat(s.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw Error(Error::Kind::ExecFailed, "working directory " + s.cwd + " does not exist or is not a directory");
    if (!s.user.empty() || !s.group.empty()) {
        app->plan.credentials = lookup_credentials(s.user.empty() ? std::to_string(geteuid()) : s.user, s.group);
        if (geteuid() != 0 && app->plan.credentials->uid != geteuid())
            throw Error(Error::Kind::AccessDenied, "pmd runs as uid " + std::to_string(geteuid()) +
                                                       " and cannot start processes as user '" + s.user + "'");
    }
    app->plan.user_name = s.user;
    if (app->plan.user_name.empty()) {
        std::vector<char> buf(16384);
        struct passwd pw, *pwp = nullptr;
        getpwuid_r(geteuid(), &pw, buf.data(), buf.size(), &pwp);
        app->plan.user_name = pwp ? pw.pw_name : std::to_string(geteuid());
    }
    app->plan.base_env = build_env(s, app->plan.credentials, s.user);
    app->plan.executable = resolve_executable(s.command.front(), s.cwd, app->plan.base_env);

    output_.app_added(s);

    if (tree_) app->cgroup = tree_->make_app_dir(s.name);
    for (unsigned i = 0; i < s.instances; ++i) app->instances.push_back(std::make_unique<Instance>(i, s));

    App& ref = *app;
    apps_[ref.spec.name] = std::move(app);
    try {
        for (auto& instance : ref.instances) {
            instance->want_running = true;
            spawn_instance(ref, *instance);
        }
    } catch (const Error& e) {
        // Nothing of a failed start may stay behind: kill what did start and forget the app.
        spdlog::warn("app {}: start failed: {}", ref.spec.name, e.what());
        std::string name = ref.spec.name;
        for (auto& instance : ref.instances) {
            if (!instance->running()) continue;
            if (tree_) instance->cgroup.kill_all();
            else ::kill(-instance->process.pid(), SIGKILL);
        }
        bool anything_running = false;
        for (auto& instance : ref.instances) anything_running |= instance->running();
        if (anything_running) {
            ref.deleting = true;
            for (auto& instance : ref.instances) instance->want_running = false;
            stop_app(ref, [this, name] { remove_now(name); });
        } else {
            if (tree_) {
                for (auto& instance : ref.instances) instance->cgroup.remove();
                ref.cgroup.remove();
            }
            apps_.erase(name);
            output_.app_removed(name);
        }
        throw;
    }
    spdlog::info("app {}: started {} instance(s) of {}", ref.spec.name, ref.instances.size(), ref.plan.executable);
    if (observer_) observer_->app_added(ref);
    return ref;
}

void Manager::spawn_instance(App& app, Instance& instance) {
    if (tree_ && !instance.cgroup) instance.cgroup = tree_->make_instance_dir(app.cgroup, instance.index);
    if (tree_ && instance.cgroup.populated())
        throw Error(Error::Kind::Busy, "cgroup " + instance.cgroup.relative() +
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
    req.cwd = app.spec.cwd;
    req.credentials = app.plan.credentials;
    apply_app_limits(app.spec, tree_ ? &instance.cgroup : nullptr, req);
    req.cgroup_fd = tree_ ? instance.cgroup.fd() : -1;
    InstanceOutput output = output_.instance_output(app.spec, instance.index);
    req.stdout_fd = output.stdout_fd.get();
    req.stderr_fd = output.stderr_fd.get();

    try {
        instance.process = spawn(req);
    } catch (const Error& e) {
        instance.state = InstanceState::Errored;
        instance.want_running = false;
        instance.last_exit = ExitRecord{0, "exec-failed", 127, e.what()};
        throw Error(e.kind(), "app '" + app.spec.name + "': " + e.what());
    }
    instance.state = InstanceState::Online;
    instance.started_usec = loop_.now_usec();
    instance.cpu_sample_usec = 0;
    instance.cpu_percent = 0;
    uint64_t id = app.id;
    std::string name = app.spec.name;
    unsigned index = instance.index;
    instance.exit_watch = loop_.add_io(instance.process.pidfd(), EPOLLIN,
                                       [this, id, name, index](uint32_t) { on_main_exit(id, name, index); });
    spdlog::debug("{}: pid {} started", label(app, instance), instance.process.pid());
}

void Manager::on_main_exit(uint64_t app_id, const std::string& app_name, unsigned index) {
    Instance* instance = lookup(app_id, app_name, index);
    if (!instance || !instance->process) return;
    auto status = instance->process.try_reap();
    if (!status) return;
    App& app = *apps_[app_name];
    pid_t pid = instance->process.pid();
    instance->exit_watch.reset();
    instance->process.reset();
    instance->last_exit = ExitRecord{pid, status->reason_name(), status->code, status->describe()};
    if (instance->want_running) spdlog::warn("{}: pid {} {}", label(app, *instance), pid, status->describe());
    else spdlog::info("{}: pid {} {}", label(app, *instance), pid, status->describe());
    if (observer_) observer_->instance_exited(app, *instance, *instance->last_exit);

    // The main process is gone; what it left behind (double-forked children) dies with it,
    // unless a stop is already running its own kill_timeout course.
    if (tree_) {
        if (instance->state != InstanceState::Stopping && instance->cgroup.populated()) instance->cgroup.kill_all();
        when_empty(app, *instance, [this, app_id, app_name, index] { on_instance_down(app_id, app_name, index); });
    } else {
        ::kill(-pid, SIGKILL);
        on_instance_down(app_id, app_name, index);
    }
}

void Manager::when_empty(App& app, Instance& instance, std::function<void()> then) {
    if (!instance.cgroup.populated()) {
        then();
        return;
    }
    uint64_t id = app.id;
    std::string name = app.spec.name;
    unsigned index = instance.index;
    instance.empty_watch = watcher_->watch(instance.cgroup.path(), [this, id, name, index, then] {
        Instance* i = lookup(id, name, index);
        if (!i || i->cgroup.populated()) return;
        i->empty_watch.reset();
        then();
    });
    // The last process may have left between the first check and the watch.
    if (!instance.cgroup.populated()) {
        instance.empty_watch.reset();
        then();
    }
}

void Manager::on_instance_down(uint64_t app_id, const std::string& app_name, unsigned index) {
    Instance* instance = lookup(app_id, app_name, index);
    if (!instance) return;
    App& app = *apps_[app_name];
    instance->timer.reset();
    uint64_t uptime_ms = (loop_.now_usec() - instance->started_usec) / 1000;

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
    auto respawn = [this, app_id, app_name, index] {
        Instance* i = lookup(app_id, app_name, index);
        if (!i || !i->want_running) return;
        App& a = *apps_[app_name];
        i->timer.reset();
        ++i->restarts;
        try {
            spawn_instance(a, *i);
        } catch (const Error& e) {
            spdlog::error("{}", e.what());
            auto waiters = std::move(i->on_down);
            i->on_down.clear();
            for (auto& w : waiters) w();
        }
        changed(a);
    };
    if (decision.delay.count() == 0) {
        respawn();
        return;
    }
    instance->state = InstanceState::WaitingRestart;
    instance->timer = loop_.add_timer(std::chrono::duration_cast<std::chrono::microseconds>(decision.delay), respawn);
    spdlog::info("{}: restarting in {}ms ({})", label(app, *instance), decision.delay.count(), decision.reason);
    changed(app);
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
    instance.state = InstanceState::Stopping;
    changed(app);
    int sig = app.spec.stop_signal;
    if (tree_) {
        // Every process of the instance gets the stop signal (systemd's control-group mode),
        // so well-behaved grandchildren can finish too; kill_timeout later, cgroup.kill.
        instance.cgroup.signal_all(sig);
        if (instance.process) instance.process.send_signal(sig);
    } else if (instance.process) {
        ::kill(-instance.process.pid(), sig);
    }
    uint64_t id = app.id;
    std::string name = app.spec.name;
    unsigned index = instance.index;
    auto timeout = std::chrono::duration_cast<std::chrono::microseconds>(app.spec.kill_timeout);
    instance.timer = loop_.add_timer(timeout, [this, id, name, index] {
        Instance* i = lookup(id, name, index);
        if (!i || i->state != InstanceState::Stopping) return;
        spdlog::warn("{}[{}]: still running after kill_timeout, killing", name, index);
        if (tree_) i->cgroup.kill_all();
        else if (i->process) ::kill(-i->process.pid(), SIGKILL);
    });
}

void Manager::stop_app(App& app, std::function<void()> then) {
    auto remaining = std::make_shared<size_t>(app.instances.size());
    auto finish = std::make_shared<std::function<void()>>(std::move(then));
    if (app.instances.empty()) {
        (*finish)();
        return;
    }
    for (auto& instance : app.instances) {
        stop_instance(app, *instance, [remaining, finish] {
            if (--*remaining == 0) (*finish)();
        });
    }
}

std::vector<std::string> Manager::names_for(const std::string& name_or_all) const {
    std::vector<std::string> names;
    if (name_or_all == "all") {
        for (const auto& [name, app] : apps_)
            if (!app->deleting) names.push_back(name);
    } else {
        const_cast<Manager*>(this)->get(name_or_all);  // throws NoSuchApp
        names.push_back(name_or_all);
    }
    return names;
}

// Runs action on each named app and calls done once all have answered, with the first error.
void Manager::for_each_app(const std::string& name_or_all, std::function<void(const std::string&, Done)> action,
                           Done done) {
    std::vector<std::string> names;
    try {
        names = names_for(name_or_all);
    } catch (const Error& e) {
        done(e);
        return;
    }
    if (names.empty()) {
        done(std::nullopt);
        return;
    }
    struct Join {
        size_t remaining;
        std::optional<Error> first_error;
        Done done;
    };
    auto join = std::make_shared<Join>(Join{names.size(), std::nullopt, std::move(done)});
    for (const auto& name : names) {
        action(name, [join](std::optional<Error> error) {
            if (error && !join->first_error) join->first_error = error;
            if (--join->remaining == 0) join->done(join->first_error);
        });
    }
}

void Manager::stop(const std::string& name, Done done) {
    for_each_app(name, [this](const std::string& app_name, Done one) {
        App& app = *apps_[app_name];
        stop_app(app, [one] { one(std::nullopt); });
    }, std::move(done));
}

void Manager::start_instances(App& app, Done done) {
    std::optional<Error> error;
    for (auto& instance : app.instances) {
        if (instance->running()) continue;
        instance->want_running = true;
        instance->policy.reset();
        try {
            spawn_instance(app, *instance);
        } catch (const Error& e) {
            if (!error) error = e;
        }
    }
    changed(app);
    done(error);
}

void Manager::restart(const std::string& name, Done done) {
    for_each_app(name, [this](const std::string& app_name, Done one) {
        uint64_t id = apps_[app_name]->id;
        stop_app(*apps_[app_name], [this, id, app_name, one] {
            auto it = apps_.find(app_name);
            if (it == apps_.end() || it->second->id != id || it->second->deleting) {
                one(Error(Error::Kind::NoSuchApp, "app '" + app_name + "' was deleted during its restart"));
                return;
            }
            for (auto& instance : it->second->instances) ++instance->restarts;
            start_instances(*it->second, one);
        });
    }, std::move(done));
}

void Manager::remove(const std::string& name, Done done) {
    for_each_app(name, [this](const std::string& app_name, Done one) {
        App& app = *apps_[app_name];
        app.deleting = true;
        changed(app);
        stop_app(app, [this, app_name, one] {
            remove_now(app_name);
            one(std::nullopt);
        });
    }, std::move(done));
}

void Manager::remove_now(const std::string& name) {
    auto it = apps_.find(name);
    if (it == apps_.end()) return;
    auto app = std::move(it->second);
    apps_.erase(it);
    if (tree_) {
        for (auto& instance : app->instances) instance->cgroup.remove();
        app->cgroup.remove();
    }
    output_.app_removed(name);
    spdlog::info("app {}: deleted", name);
    if (observer_) observer_->app_removed(name);
}

void Manager::signal(const std::string& name, int sig) {
    if (!is_valid_signal(sig)) throw Error(Error::Kind::InvalidSpec, "signal " + std::to_string(sig) + " is not a valid signal number");
    App& app = get(name);
    size_t sent = 0;
    for (auto& instance : app.instances)
        if (instance->process && instance->process.send_signal(sig)) ++sent;
    if (sent == 0) throw Error(Error::Kind::Failed, "app '" + name + "' has no running instance to signal");
    spdlog::info("app {}: sent {} to {} instance(s)", name, signal_name(sig), sent);
}

}  // namespace pmd
