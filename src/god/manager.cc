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

#include "base/fd_store_names.h"
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
namespace {

// How long one reading of an instance's memory and CPU serves (Manager::stats): as long as
// the figures clock of the bus objects ticks, so a watcher never sees a figure older than that.
constexpr uint64_t kUsageValidity = 1'000'000;  // µs

}  // namespace

Manager::Manager(EventLoop& loop, std::unique_ptr<ProcessScopes> scopes, std::unique_ptr<Launcher> launcher,
                 OutputRouter& output)
    : loop_(loop), scopes_(std::move(scopes)), launcher_(std::move(launcher)), output_(output) {}

Manager::~Manager() = default;

void Manager::enable_notify(const std::string& path, int handed_fd) {
    notify_ = std::make_unique<NotifySocket>(
        loop_, path, [this](pid_t pid, const auto& fields) { on_notify(pid, fields); }, handed_fd);
}

void Manager::enable_cluster(const std::string& path) {
    bind_broker_ = std::make_unique<BindBroker>(
        loop_, path, [this](pid_t pid) { return cluster_asker(pid); }, [this](pid_t pid) { on_listening(pid); });
}

BindBroker::Asker Manager::cluster_asker(pid_t pid) {
    App* app = nullptr;
    if (!instance_of_pid(pid, &app) || app->spec.exec_mode != AppSpec::ExecMode::Cluster) return {};
    if (!app->shared_sockets) app->shared_sockets = std::make_shared<SharedSocketPool>();
    return {app->shared_sockets, app->sockets.fds()};
}

void Manager::on_listening(pid_t sender) {
    App* app = nullptr;
    Instance* i = instance_of_pid(sender, &app);
    if (!i || i->ready || app->spec.wait_ready || app->spec.exec_mode != AppSpec::ExecMode::Cluster) return;
    spdlog::debug("{}: listening (pid {})", label(*app, *i), sender);
    settle_readiness(*app, *i, true, "");
}

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

Manager::InstanceKey Manager::key_of(const App& app, const Instance& instance) const {
    return {app.id, app.spec.name, instance.serial};
}

App* Manager::same_app(uint64_t app_id, const std::string& name, AppBeingDeleted deleting) {
    auto it = apps_.find(name);
    if (it == apps_.end() || it->second->id != app_id) return nullptr;
    if (deleting == AppBeingDeleted::IsGone && it->second->deleting) return nullptr;
    return it->second.get();
}

Instance* Manager::lookup(const InstanceKey& key, App** app_out) {
    App* app = same_app(key.app_id, key.app_name);
    if (!app) return nullptr;
    for (Instance* i : app->all_instances()) {
        if (i->serial == key.serial) {
            if (app_out) *app_out = app;
            return i;
        }
    }
    return nullptr;
}

void Manager::store_sockets(const App& app, bool keep) {
    if (!fd_store_) return;
    std::vector<int> fds = app.sockets.fds();
    for (size_t n = 0; n < fds.size(); ++n) {
        std::string name = fd_store_names::listen_socket(app.spec.name, n);
        if (keep) fd_store_->keep(name, fds[n]);
        else fd_store_->forget(name);
    }
}

void Manager::changed(const App& app) {
    if (observer_) observer_->app_changed(app);
    if (on_change_) on_change_();
}

std::string Manager::cgroup_mode() const { return scopes_->mode_name(); }
std::string Manager::cgroup_root() const { return scopes_->root(); }
std::string Manager::stats_source() const { return scopes_->stats_source(); }

InstanceStats Manager::stats(const App&, const Instance& constant_instance) {
    // Only the usage reading and the CPU rate sample are updated here; they are bookkeeping of
    // the reader, not state.
    auto& instance = const_cast<Instance&>(constant_instance);
    InstanceStats s;
    if (!instance.running()) return s;
    uint64_t now = loop_.now_usec();
    s.uptime_ms = (now - instance.started_usec) / 1000;
    // Reading the figures costs a few opens of /proc and cgroupfs per instance; with 100
    // instances that was most of a `pmctl ls`. A reading younger than kUsageValidity is reused,
    // unless it was taken in the instance's first second: the kernel's RSS counters of a
    // process that has just exec'd may still read 0 (per-CPU batches not yet folded in).
    bool reusable = instance.usage_usec && now - instance.usage_usec < kUsageValidity &&
                    instance.usage_usec - instance.started_usec >= kUsageValidity;
    if (!reusable) {
        instance.usage = instance.scope->usage(instance.process);
        instance.usage_usec = now;
    }
    ResourceUsage u = instance.usage;
    s.cpu_total_nsec = u.cpu_usage_nsec;
    u.cpu_usage_nsec = u.cpu_usage_nsec > instance.cpu_base_nsec ? u.cpu_usage_nsec - instance.cpu_base_nsec : 0;
    // Rate since the previous sample, or since start on the first one; a sample closer than
    // 200 ms to the previous one keeps the previous rate rather than dividing noise.
    uint64_t taken = instance.usage_usec;
    uint64_t since = instance.cpu_sample_usec ? instance.cpu_sample_usec : instance.started_usec;
    uint64_t base = instance.cpu_sample_usec ? instance.cpu_sample_nsec : 0;
    if (taken - since >= 200'000 || !instance.cpu_sample_usec) {
        if (taken > since && u.cpu_usage_nsec >= base)
            instance.cpu_percent = 100.0 * static_cast<double>(u.cpu_usage_nsec - base) /
                                   (static_cast<double>(taken - since) * 1000.0);
        instance.cpu_sample_usec = taken;
        instance.cpu_sample_nsec = u.cpu_usage_nsec;
    }
    s.memory_bytes = instance.usage.memory_bytes;
    s.cpu_usage_nsec = u.cpu_usage_nsec;
    s.processes = instance.usage.processes;
    s.cpu_percent = instance.cpu_percent;
    return s;
}

std::unique_ptr<Instance> Manager::make_instance(const App& app, unsigned index, unsigned generation) {
    return std::make_unique<Instance>(next_serial_++, index, generation, app.spec);
}

const App& Manager::start(AppSpec spec, uid_t owner, std::string source, bool stopped) {
    if (spec.cwd.empty()) spec.cwd = "/";
    validate_spec(spec);
    if (apps_.count(spec.name))
        throw Error(Error::Kind::AlreadyExists, "an app named '" + spec.name +
                                                    "' exists already (pmctl restart or delete it first)");

    auto app = std::make_unique<App>();
    app->id = next_app_id_++;
    app->owner = owner;
    app->source = std::move(source);
    app->spec = std::move(spec);
    app->spec_serial = next_spec_serial_++;
    const AppSpec& s = app->spec;
    plan_launch(*app);
    for (const auto& w : app->plan.warnings) spdlog::warn("app {}: {}", app->spec.name, w);
    // Bound once, before any instance exists: a port in use is an answer, not a crash loop.
    if (!s.listen.empty() && !s.reuse_port) app->sockets = ListenSocketSet::bind_all(s.listen, s.name);
    make_log_dirs(s, log_opener_for(owner));
    output_.app_added(s, log_opener_for(owner));
    store_sockets(*app, true);
    try {
        app->cgroup = scopes_->app_dir(s.name);
    } catch (const Error&) {
        // Out of fds, typically: the log files and stored sockets are the app's, and a start
        // that fails keeps nothing.
        store_sockets(*app, false);
        output_.app_removed(s.name);
        throw;
    }
    for (unsigned i = 0; i < instance_count(s.instances); ++i) app->instances.push_back(make_instance(*app, i, 0));

    App& ref = *app;
    apps_[ref.spec.name] = std::move(app);
    if (stopped) {
        ref.stop_requested = true;
        spdlog::info("app {}: added stopped ({} instance(s) of {})", ref.spec.name, ref.instances.size(), ref.plan.executable);
        start_triggers(ref);
        if (observer_) observer_->app_added(ref);
        if (on_change_) on_change_();
        return ref;
    }
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
            instance->scope->kill_all(instance->process);
        }
        bool anything_running = false;
        for (auto& instance : ref.instances) anything_running |= instance->running();
        if (anything_running) {
            ref.deleting = true;
            for (auto& instance : ref.instances) instance->want_running = false;
            stop_app(ref, [this, name] { remove_now(name); });
        } else {
            for (auto& instance : ref.instances)
                if (instance->scope) instance->scope->remove();
            ref.cgroup.remove();
            store_sockets(ref, false);
            apps_.erase(name);
            output_.app_removed(name);
        }
        throw;
    }
    spdlog::info("app {}: started {} instance(s) of {}", ref.spec.name, ref.instances.size(), ref.plan.executable);
    start_triggers(ref);
    if (observer_) observer_->app_added(ref);
    if (on_change_) on_change_();
    return ref;
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
        app.stop_requested = true;
        stop_app(app, [one] { one(std::nullopt); });
    }, std::move(done));
}

void Manager::start_instances(App& app, Done done) {
    app.stop_requested = false;
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
        App& app = *apps_[app_name];
        if (app.busy()) {
            one(Error(Error::Kind::Busy, "app '" + app_name + "' is being reloaded; wait for the reload to finish"));
            return;
        }
        uint64_t id = app.id;
        stop_app(app, [this, id, app_name, one] {
            App* still = same_app(id, app_name, AppBeingDeleted::IsGone);
            if (!still) {
                one(Error(Error::Kind::NoSuchApp, "app '" + app_name + "' was deleted during its restart"));
                return;
            }
            for (auto& instance : still->instances) ++instance->restarts;
            start_instances(*still, one);
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
    for (Instance* instance : app->all_instances())
        if (instance->scope) instance->scope->remove();
    app->cgroup.remove();
    output_.app_removed(name);
    store_sockets(*app, false);
    spdlog::info("app {}: deleted", name);
    if (observer_) observer_->app_removed(name);
    if (on_change_) on_change_();
}

void Manager::signal(const std::string& name, int sig) {
    if (!is_valid_signal(sig)) throw Error(Error::Kind::InvalidSpec, "signal " + std::to_string(sig) + " is not a valid signal number");
    App& app = get(name);
    size_t sent = 0;
    for (Instance* instance : app.all_instances())
        if (instance->process && instance->process.send_signal(sig)) ++sent;
    if (sent == 0) throw Error(Error::Kind::Failed, "app '" + name + "' has no running instance to signal");
    spdlog::info("app {}: sent {} to {} instance(s)", name, signal_name(sig), sent);
}

}  // namespace pmd
