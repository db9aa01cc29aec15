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
namespace {

// How long one reading of an instance's memory and CPU serves (Manager::stats): as long as
// the figures clock of the bus objects ticks, so a watcher never sees a figure older than that.
constexpr uint64_t kUsageValidity = 1'000'000;  // µs

std::string label(const App& app, const Instance& instance) {
    return app.spec.name + "[" + std::to_string(instance.index) + "]";
}

// account: the passwd entry of the user the instances run as, or null to set no HOME/USER
// (a root daemon starting an app without `user` passes its own environment's choice: none).
std::vector<std::string> build_env(const AppSpec& spec, const Account* account) {
    std::map<std::string, std::string> env;
    env["PATH"] = kDefaultAppPath;
    if (account) {
        env["HOME"] = account->home;
        env["USER"] = account->name;
        env["LOGNAME"] = account->name;
        env["SHELL"] = account->shell;
    }
    env["PMD_APP"] = spec.name;
    for (const auto& [k, v] : spec.env) env[k] = v;
    std::vector<std::string> out;
    out.reserve(env.size());
    for (const auto& [k, v] : env) out.push_back(k + "=" + v);
    return out;
}

// PM2 gives its IPC channel to Node apps; pmd knows one by its executable's name (node,
// nodejs, /opt/node-20/bin/node: PM2's /node$/) or by a #! line naming node (npm, yarn,
// ./bin/www with `#!/usr/bin/env node`).
bool runs_node(const std::string& executable) {
    auto name = std::filesystem::path(executable).filename().string();
    if (name.ends_with("node") || name == "nodejs") return true;
    std::ifstream in(executable, std::ios::binary);
    char head[128] = {};
    in.read(head, sizeof head - 1);
    std::string_view text(head, static_cast<size_t>(in.gcount()));
    if (!text.starts_with("#!")) return false;
    text = text.substr(0, text.find('\n'));
    for (size_t at = text.find("node"); at != std::string_view::npos; at = text.find("node", at + 1)) {
        bool word_start = at == 0 || text[at - 1] == '/' || text[at - 1] == ' ';
        bool word_end = at + 4 == text.size() || text[at + 4] == ' ' || text[at + 4] == '\r';
        if (word_start && word_end) return true;
    }
    return false;
}

}  // namespace

Manager::Manager(EventLoop& loop, CgroupTree* tree, OutputRouter& output)
    : loop_(loop), tree_(tree), output_(output) {
    if (tree_) watcher_ = std::make_unique<CgroupEventsWatcher>(loop_);
}

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

Instance* Manager::lookup(const InstanceKey& key, App** app_out) {
    auto it = apps_.find(key.app_name);
    if (it == apps_.end() || it->second->id != key.app_id) return nullptr;
    for (Instance* i : it->second->all_instances()) {
        if (i->serial == key.serial) {
            if (app_out) *app_out = it->second.get();
            return i;
        }
    }
    return nullptr;
}

void Manager::store_sockets(const App& app, bool keep) {
    if (!fd_store_) return;
    std::vector<int> fds = app.sockets.fds();
    for (size_t n = 0; n < fds.size(); ++n) {
        std::string name = "sock/" + app.spec.name + "/" + std::to_string(n);
        if (keep) fd_store_->keep(name, fds[n]);
        else fd_store_->forget(name);
    }
}

void Manager::changed(const App& app) {
    if (observer_) observer_->app_changed(app);
    if (on_change_) on_change_();
}

std::string Manager::cgroup_mode() const { return tree_ ? tree_->mode_name() : "process-group"; }
std::string Manager::cgroup_root() const { return tree_ ? tree_->root() : ""; }

std::string Manager::stats_source() const {
    if (!tree_) return "/proc of the main process (no cgroup2: process-group mode)";
    return usage_source(tree_->has_controller("memory"));
}

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
        instance.usage = tree_ ? read_cgroup_usage(instance.cgroup, tree_->has_controller("memory"))
                               : read_proc_usage({instance.process.pid()});
        instance.usage_usec = now;
    }
    ResourceUsage u = instance.usage;
    s.cpu_total_nsec = u.cpu_usage_nsec;
    if (tree_) u.cpu_usage_nsec = u.cpu_usage_nsec > instance.cpu_base_nsec ? u.cpu_usage_nsec - instance.cpu_base_nsec : 0;
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

// Everything that can be checked before a process exists is checked here, so the caller
// gets "no such file" or "unknown user" as an answer rather than as a crash loop.
void Manager::plan_launch(App& app) { app.plan = plan_for(app.spec); }

LaunchPlan Manager::plan_for(const AppSpec& s) const {
    LaunchPlan plan;
    struct stat st;
    if (stat(s.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw Error(Error::Kind::ExecFailed, "working directory " + s.cwd + " does not exist or is not a directory");
    // The passwd database is read once per start: the entry serves the credentials, the
    // displayed user name and HOME/USER/SHELL.
    std::optional<Account> account;
    if (!s.user.empty() || !s.group.empty()) {
        plan.credentials = lookup_credentials(s.user.empty() ? std::to_string(geteuid()) : s.user, s.group, &account);
        if (geteuid() != 0 && plan.credentials->uid != geteuid())
            throw Error(Error::Kind::AccessDenied, "pmd runs as uid " + std::to_string(geteuid()) +
                                                       " and cannot start processes as user '" + s.user + "'");
    } else {
        account = lookup_account(geteuid());
    }
    plan.user_name = s.user;
    if (plan.user_name.empty()) plan.user_name = account ? account->name : std::to_string(geteuid());
    bool set_home = plan.credentials || geteuid() != 0 || !s.user.empty();
    plan.base_env = build_env(s, set_home && account ? &*account : nullptr);
    plan.executable = resolve_executable(s.command.front(), s.cwd, plan.base_env);
    if (s.exec_mode == AppSpec::ExecMode::Cluster && elf_linking(plan.executable) == ElfLinking::Static)
        plan.warnings.push_back(
            "exec_mode = \"cluster\": " + plan.executable +
            " is statically linked (no ELF interpreter), so pmd's preload library cannot share the ports it binds and "
            "every instance after the first may fail with EADDRINUSE; give it its sockets instead: listen = "
            "[\"tcp:0.0.0.0:PORT\"] passes them as LISTEN_FDS from fd 3 (sd_listen_fds; Go: net.FileListener on "
            "os.NewFile(3, ...))");
    if (s.exec_mode == AppSpec::ExecMode::Cluster && access(cluster_preload_path().c_str(), R_OK) != 0)
        plan.warnings.push_back("exec_mode = \"cluster\": the preload library " + cluster_preload_path() +
                                " cannot be read, so the instances bind alone (is pmd fully installed?)");
    plan.node_channel = runs_node(plan.executable);
    return plan;
}

// Log paths a user chose are opened with that user's permissions, never root's.
std::optional<FsIdentity> Manager::log_opener_for(uid_t owner) const {
    if (owner == 0 || owner == geteuid()) return std::nullopt;
    Credentials c = lookup_credentials(std::to_string(owner), "");
    return FsIdentity{c.uid, c.gid, c.groups};
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
        if (tree_) app->cgroup = tree_->make_app_dir(s.name);
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

void Manager::spawn_instance(App& app, Instance& instance) {
    if (tree_ && instance.cgroup.killed() && !instance.cgroup.populated()) {
        // A cgroup that had cgroup.kill would SIGKILL the new process at birth (see
        // CgroupDir::killed); the empty one is removed and the run gets a fresh cgroup.
        instance.cgroup.remove();
        instance.cgroup = CgroupDir();
        instance.generation = ++app.last_generation;
    }
    if (tree_ && !instance.cgroup)
        instance.cgroup = tree_->make_instance_dir(app.cgroup, instance.index, instance.generation);
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
    apply_app_limits(app.spec, tree_ ? &instance.cgroup : nullptr, req);
    req.cgroup_fd = tree_ ? instance.cgroup.fd() : -1;
    // Read while the cgroup is empty: nothing of the new run is counted in it yet.
    uint64_t cpu_base = tree_ ? read_cgroup_cpu_nsec(instance.cgroup) : 0;
    InstanceOutput output;
    try {
        // Inside: out of fds, the pipes fail like the spawn does, and a respawn that cannot
        // happen must leave the instance errored with the reason, not in its old state.
        output = output_.instance_output(app.spec, instance.index);
        req.stdout_fd = output.stdout_fd.get();
        req.stderr_fd = output.stderr_fd.get();
        instance.process = spawn(req);
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

// Readiness, as PM2 decides when a reload may go on: with wait_ready the instance must say
// READY=1 within listen_timeout (EXTEND_TIMEOUT_USEC may extend it), otherwise it is ready once
// it has stayed up listen_timeout.
void Manager::arm_readiness(App& app, Instance& instance) {
    instance.ready = false;
    auto key = key_of(app, instance);
    auto timeout = std::chrono::duration_cast<std::chrono::microseconds>(app.spec.listen_timeout);
    instance.ready_timer = loop_.add_timer(timeout, [this, key] {
        App* a = nullptr;
        Instance* i = lookup(key, &a);
        if (!i || i->ready || i->state != InstanceState::Online) return;
        if (a->spec.wait_ready) {
            std::string why = "did not send READY=1 within listen_timeout " + format_duration(a->spec.listen_timeout);
            spdlog::warn("{}: {}", label(*a, *i), why);
            settle_readiness(*a, *i, false, why);
        } else {
            settle_readiness(*a, *i, true, "");
        }
    });
}

void Manager::settle_readiness(App& app, Instance& instance, bool ready, const std::string& why) {
    instance.ready_timer.reset();
    if (ready && !instance.ready) {
        instance.ready = true;
        arm_watchdog(app, instance);
        if (app.spec.health_check.type != HealthCheck::Type::None && !instance.health) check_health(app, instance);
        changed(app);
    }
    auto waiters = std::move(instance.on_ready);
    instance.on_ready.clear();
    for (auto& w : waiters) w(ready, why);
}

void Manager::arm_watchdog(App& app, Instance& instance) {
    if (app.spec.watchdog_sec.count() <= 0) return;
    auto key = key_of(app, instance);
    auto period = std::chrono::duration_cast<std::chrono::microseconds>(app.spec.watchdog_sec);
    if (instance.watchdog_timer) {
        instance.watchdog_timer.set_time_usec(loop_.now_usec() + static_cast<uint64_t>(period.count()));
        return;
    }
    instance.watchdog_timer = loop_.add_timer(period, [this, key] {
        App* a = nullptr;
        Instance* i = lookup(key, &a);
        if (!i || i->state != InstanceState::Online) return;
        spdlog::warn("{}: no WATCHDOG=1 within watchdog_sec {}; killing it", label(*a, *i),
                     format_duration(a->spec.watchdog_sec));
        i->trigger = Instance::Trigger{"watchdog", "killed by pmd: no WATCHDOG=1 within watchdog_sec"};
        if (tree_) i->cgroup.kill_all();
        else if (i->process) ::kill(-i->process.pid(), SIGKILL);
    });
}

Instance* Manager::instance_of_pid(pid_t pid, App** app_out) {
    // Whoever's cgroup it is in (or, without cgroup2, whose main pid or process group it is):
    // a worker's child may speak for its instance, a stranger for nobody.
    std::string cgroup;
    if (tree_) {
        std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
        std::string line;
        while (std::getline(in, line))
            if (line.rfind("0::", 0) == 0) cgroup = line.substr(3);
        if (cgroup.empty()) return nullptr;
    }
    for (auto& [name, app] : apps_) {
        for (Instance* i : app->all_instances()) {
            bool match = tree_ ? (i->cgroup && i->cgroup.relative() == cgroup)
                               : (i->process && (i->process.pid() == pid || getpgid(pid) == i->process.pid()));
            if (!match || i->state != InstanceState::Online) continue;
            *app_out = app.get();
            return i;
        }
    }
    return nullptr;
}

void Manager::on_notify(pid_t sender, const std::map<std::string, std::string>& fields) {
    App* app = nullptr;
    Instance* i = instance_of_pid(sender, &app);
    if (!i) {
        spdlog::debug("notify message from pid {} ignored: not an instance of pmd", sender);
        return;
    }
    if (auto it = fields.find("STATUS"); it != fields.end()) {
        i->status_text = it->second.substr(0, 256);
        changed(*app);
    }
    if (auto it = fields.find("READY"); it != fields.end() && it->second == "1" && !i->ready)
        settle_readiness(*app, *i, true, "");
    if (auto it = fields.find("WATCHDOG"); it != fields.end() && it->second == "1") arm_watchdog(*app, *i);
    if (auto it = fields.find("EXTEND_TIMEOUT_USEC"); it != fields.end() && !i->ready && i->ready_timer) {
        uint64_t extra = std::strtoull(it->second.c_str(), nullptr, 10);
        i->ready_timer.set_time_usec(loop_.now_usec() + extra);
    }
}

void Manager::on_node_message(const InstanceKey& key, const std::string& message) {
    App* app = nullptr;
    Instance* instance = lookup(key, &app);
    if (!instance || instance->state != InstanceState::Online) return;
    // process.send('ready'): PM2's readiness message, READY=1 of the notify socket.
    if (message == "ready" && !instance->ready) settle_readiness(*app, *instance, true, "");
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
    if (tree_) {
        // Usually the main process was the cgroup's only one, and the kernel has marked the
        // cgroup empty before the pidfd turned readable: then no watch is needed at all.
        if (!instance->cgroup.populated()) {
            on_instance_down(key);
            return;
        }
        if (instance->state != InstanceState::Stopping) instance->cgroup.kill_all();
        when_empty(app, *instance, [this, key] { on_instance_down(key); });
    } else {
        ::kill(-pid, SIGKILL);
        on_instance_down(key);
    }
}

void Manager::when_empty(App& app, Instance& instance, std::function<void()> then) {
    if (!instance.cgroup.populated()) {
        then();
        return;
    }
    auto key = key_of(app, instance);
    instance.empty_watch = watcher_->watch(instance.cgroup.path(), [this, key, then] {
        Instance* i = lookup(key);
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
    } else if (tree_) {
        // Every process of the instance gets the stop signal (systemd's control-group mode),
        // so well-behaved grandchildren can finish too; kill_timeout later, cgroup.kill. Once
        // each, the main process through its pidfd: many servers take a second SIGINT as
        // "quit now, drop the requests in flight".
        pid_t main = instance.process ? instance.process.pid() : 0;
        if (instance.process) instance.process.send_signal(sig);
        for (pid_t pid : instance.cgroup.procs())
            if (pid != main) ::kill(pid, sig);
    } else if (instance.process) {
        ::kill(-instance.process.pid(), sig);
    }
    auto key = key_of(app, instance);
    auto timeout = std::chrono::duration_cast<std::chrono::microseconds>(app.spec.kill_timeout);
    instance.timer = loop_.add_timer(timeout, [this, key] {
        App* a = nullptr;
        Instance* i = lookup(key, &a);
        if (!i || i->state != InstanceState::Stopping) return;
        spdlog::warn("{}: still running {} after the stop signal (kill_timeout), killing it", label(*a, *i),
                     format_duration(a->spec.kill_timeout));
        if (tree_) i->cgroup.kill_all();
        else if (i->process) ::kill(-i->process.pid(), SIGKILL);
    });
}

// Calls `then` once every given instance is down.
static void when_all(std::vector<Instance*> targets, const std::function<void(Instance&, std::function<void()>)>& stop,
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
        if (app.reloading) {
            one(Error(Error::Kind::Busy, "app '" + app_name + "' is being reloaded; wait for the reload to finish"));
            return;
        }
        uint64_t id = app.id;
        stop_app(app, [this, id, app_name, one] {
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
        for (Instance* instance : app->all_instances()) instance->cgroup.remove();
        app->cgroup.remove();
    }
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

// Whether the instances serve on sockets they share: cluster mode's, or the app file's listen
// list. The kernel hands a new connection on such a socket to whichever process accepts first,
// and a busy old instance beats an idle replacement, so a connection cut by a stopping instance
// mostly lands on an old one that stops later. These apps keep every old instance until every
// replacement is ready, then stop them together: each connection is cut at most once.
static bool shares_sockets(const AppSpec& spec) {
    return spec.exec_mode == AppSpec::ExecMode::Cluster || !spec.listen.empty();
}

void Manager::reload(const std::string& name, Done done) {
    for_each_app(name, [this](const std::string& app_name, Done one) {
        App& app = *apps_[app_name];
        if (app.reloading) {
            one(Error(Error::Kind::Busy, "app '" + app_name + "' is already being reloaded"));
            return;
        }
        app.reloading = true;
        spdlog::info("app {}: rolling reload of {} instance(s), {} at a time{}", app_name, app.instances.size(),
                     std::max(1u, app.spec.reload_batch),
                     shares_sockets(app.spec) ? "; the old ones stop together once all new ones are ready" : "");
        changed(app);
        reload_step(app.id, app_name, 0, {}, std::move(one));
    }, std::move(done));
}

void Manager::finish_reload(const std::string& name, uint64_t app_id, std::optional<Error> error, Done done) {
    auto it = apps_.find(name);
    if (it != apps_.end() && it->second->id == app_id) {
        it->second->reloading = false;
        changed(*it->second);
        if (error) spdlog::error("{}", error->what());
        else spdlog::info("app {}: reload done", name);
    }
    done(error);
}

// One batch: start replacements for slots [first, first + batch) and wait until every one is
// ready. Then, without shared sockets, stop the old instances of those slots, move the
// replacements in and go on; with them (shares_sockets), go on at once, the ready replacements
// in `standing`, and retire every old instance after the last batch. The first replacement
// that fails stops the reload: the replacements not yet moved in stop, and their slots keep
// their old instances.
void Manager::reload_step(uint64_t app_id, const std::string& name, size_t first, std::vector<uint64_t> standing,
                          Done done) {
    auto it = apps_.find(name);
    if (it == apps_.end() || it->second->id != app_id || it->second->deleting) {
        done(Error(Error::Kind::NoSuchApp, "app '" + name + "' was deleted during its reload"));
        return;
    }
    App& app = *it->second;
    size_t batch = std::max(1u, app.spec.reload_batch);
    size_t end = std::min(app.instances.size(), first + batch);
    if (first >= end) {
        if (standing.empty()) {
            finish_reload(name, app_id, std::nullopt, std::move(done));
            return;
        }
        // A replacement may have crashed and restarted since it was ready: it must be ready
        // again before the old instances go.
        when_ready(app_id, name, standing, [this, app_id, name, standing, done](std::optional<std::string> failure) {
            if (failure) {
                abort_reload(app_id, name, standing,
                             Error(Error::Kind::Failed, "reload of '" + name + "' stopped: a new instance " + *failure +
                                                            "; the old instances keep serving"),
                             done);
                return;
            }
            spdlog::info("app {}: reload: all {} new instance(s) ready; stopping the old ones", name, standing.size());
            retire(app_id, name, standing, [this, app_id, name, done] { finish_reload(name, app_id, std::nullopt, done); },
                   done);
        });
        return;
    }
    std::vector<uint64_t> replacements;
    try {
        for (size_t slot = first; slot < end; ++slot) {
            Instance& old = *app.instances[slot];
            auto fresh = make_instance(app, old.index, ++app.last_generation);
            fresh->restarts = old.restarts + 1;
            fresh->want_running = true;
            Instance& ref = *fresh;
            app.incoming.push_back(std::move(fresh));
            replacements.push_back(ref.serial);
            spawn_instance(app, ref);
        }
    } catch (const Error& e) {
        replacements.insert(replacements.end(), standing.begin(), standing.end());
        abort_reload(app_id, name, replacements,
                     Error(Error::Kind::Failed, "reload of '" + name + "' stopped: " + e.what() +
                                                    "; the old instances keep serving"),
                     done);
        return;
    }
    bool together = shares_sockets(app.spec);
    when_ready(app_id, name, replacements,
               [this, app_id, name, end, together, replacements, standing, done](std::optional<std::string> failure) mutable {
                   if (failure) {
                       replacements.insert(replacements.end(), standing.begin(), standing.end());
                       abort_reload(app_id, name, replacements,
                                    Error(Error::Kind::Failed, "reload of '" + name + "' stopped: a new instance " +
                                                                   *failure + "; the old instances keep serving"),
                                    done);
                       return;
                   }
                   if (together) {
                       standing.insert(standing.end(), replacements.begin(), replacements.end());
                       reload_step(app_id, name, end, std::move(standing), done);
                       return;
                   }
                   retire(app_id, name, replacements,
                          [this, app_id, name, end, done] { reload_step(app_id, name, end, {}, done); }, done);
               });
}

// Calls `then` once every replacement in `serials` has settled: with nothing if all are
// ready, else with why one is not. One that is not running fails at once: no readiness is due.
void Manager::when_ready(uint64_t app_id, const std::string& name, const std::vector<uint64_t>& serials,
                         std::function<void(std::optional<std::string>)> then) {
    struct Waiting {
        size_t left;
        std::optional<std::string> failure;
        std::function<void(std::optional<std::string>)> then;
    };
    auto state = std::make_shared<Waiting>(Waiting{serials.size() + 1, std::nullopt, std::move(then)});
    auto settle = [state](bool ready, const std::string& why) {
        if (!ready && !state->failure) state->failure = why;
        if (--state->left == 0) state->then(state->failure);
    };
    for (uint64_t serial : serials) {
        Instance* i = lookup({app_id, name, serial});
        if (!i) settle(false, "is gone");
        else if (i->state != InstanceState::Online)
            settle(false, "stopped running after it was ready" +
                              (i->last_exit ? " (" + i->last_exit->description + ")" : std::string()));
        else if (i->ready) settle(true, "");
        else i->on_ready.push_back(settle);  // a restart after a crash: ready again, or not
    }
    settle(true, "");  // the extra count: `then` runs once, after every instance was looked at
}

// Stops the old instance of each replacement's slot, all at once, moves the replacements in,
// then calls `then`.
void Manager::retire(uint64_t app_id, const std::string& name, std::vector<uint64_t> replacements,
                     std::function<void()> then, Done done) {
    auto found = apps_.find(name);
    if (found == apps_.end() || found->second->id != app_id) {
        done(Error(Error::Kind::NoSuchApp, "app '" + name + "' was deleted during its reload"));
        return;
    }
    App& app = *found->second;
    std::vector<Instance*> old;
    for (const auto& in : app.incoming)
        if (std::find(replacements.begin(), replacements.end(), in->serial) != replacements.end() &&
            in->index < app.instances.size())
            old.push_back(app.instances[in->index].get());
    when_all(old, [this, &app](Instance& i, std::function<void()> d) { stop_instance(app, i, std::move(d)); },
             [this, app_id, name, replacements, then, done] {
                 auto f = apps_.find(name);
                 if (f == apps_.end() || f->second->id != app_id) {
                     done(Error(Error::Kind::NoSuchApp, "app '" + name + "' was deleted during its reload"));
                     return;
                 }
                 App& a = *f->second;
                 for (uint64_t serial : replacements) {
                     auto in = std::find_if(a.incoming.begin(), a.incoming.end(),
                                            [&](const auto& i) { return i->serial == serial; });
                     if (in == a.incoming.end() || (*in)->index >= a.instances.size()) continue;
                     if (tree_) a.instances[(*in)->index]->cgroup.remove();
                     a.instances[(*in)->index] = std::move(*in);
                     a.incoming.erase(in);
                 }
                 changed(a);
                 then();
             });
}

// Stops the replacements a reload started, forgets them and their cgroups, and answers with
// `error`; the slots they were meant to replace keep their old instances.
void Manager::abort_reload(uint64_t app_id, const std::string& name, std::vector<uint64_t> replacements, Error error,
                           Done done) {
    auto is_replacement = [replacements](const Instance& i) {
        return std::find(replacements.begin(), replacements.end(), i.serial) != replacements.end();
    };
    auto found = apps_.find(name);
    if (found == apps_.end() || found->second->id != app_id) {
        done(error);
        return;
    }
    App& app = *found->second;
    std::vector<Instance*> started;
    for (Instance* i : app.all_instances())
        if (is_replacement(*i)) started.push_back(i);
    when_all(started, [this, &app](Instance& i, std::function<void()> d) { stop_instance(app, i, std::move(d)); },
             [this, app_id, name, is_replacement, error, done] {
                 auto a = apps_.find(name);
                 if (a != apps_.end() && a->second->id == app_id) {
                     auto& incoming = a->second->incoming;
                     for (auto& i : incoming)
                         if (tree_ && is_replacement(*i)) i->cgroup.remove();
                     std::erase_if(incoming, [&](const auto& i) { return is_replacement(*i); });
                 }
                 finish_reload(name, app_id, error, done);
             });
}

void Manager::scale(const std::string& name, uint32_t count, Done done) {
    try {
        App& app = get(name);
        uint32_t requested = count;  // 0 ("max") stays symbolic in the spec, as in the app file
        count = instance_count(count);
        if (count > SpecLimits::max_instances)
            throw Error(Error::Kind::InvalidSpec, "instances: " + std::to_string(count) + " is more than the limit of " +
                                                      std::to_string(SpecLimits::max_instances));
        if (app.reloading) throw Error(Error::Kind::Busy, "app '" + name + "' is being reloaded; scale it afterwards");
        uint32_t current = static_cast<uint32_t>(app.instances.size());
        app.spec.instances = requested;
        if (count >= current) {
            std::optional<Error> error;
            for (uint32_t i = current; i < count; ++i) {
                app.instances.push_back(make_instance(app, i, ++app.last_generation));
                app.instances.back()->want_running = true;
                try {
                    spawn_instance(app, *app.instances.back());
                } catch (const Error& e) {
                    if (!error) error = e;
                }
            }
            spdlog::info("app {}: scaled from {} to {} instance(s)", name, current, count);
            changed(app);
            done(error);
            return;
        }
        std::vector<Instance*> surplus;
        for (uint32_t i = count; i < current; ++i) surplus.push_back(app.instances[i].get());
        uint64_t id = app.id;
        when_all(surplus, [this, &app](Instance& i, std::function<void()> d) { stop_instance(app, i, std::move(d)); },
                 [this, id, name, count, current, done] {
                     auto f = apps_.find(name);
                     if (f == apps_.end() || f->second->id != id) {
                         done(Error(Error::Kind::NoSuchApp, "app '" + name + "' was deleted while scaling"));
                         return;
                     }
                     App& a = *f->second;
                     // Only the slots that are still surplus and down go; a scale up in between keeps them.
                     while (a.instances.size() > instance_count(a.spec.instances) && !a.instances.back()->running()) {
                         if (tree_) a.instances.back()->cgroup.remove();
                         a.instances.pop_back();
                     }
                     spdlog::info("app {}: scaled from {} to {} instance(s)", name, current, count);
                     changed(a);
                     done(std::nullopt);
                 });
    } catch (const Error& e) {
        done(e);
    }
}

}  // namespace pmd
