// The Manager's restart triggers: cron_restart and watch restart (or, for clusters,
// reload) the whole app through Manager::restart/reload; max_memory_restart and health checks
// restart one instance through the same stop path as everything else, and on_instance_down
// respawns it. Every such restart records its reason in the instance's last exit.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "base/quantity.h"
#include "god/manager.h"

namespace pmd {
namespace {

// Several instances or pmd-held sockets: a restart would drop every instance at once, a
// rolling reload keeps serving.
bool is_cluster(const App& app) { return app.instances.size() > 1 || !app.sockets.empty(); }

std::string glob_escape(const std::string& path) {
    std::string out;
    for (char c : path) {
        if (c == '*' || c == '?' || c == '[' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

// Instances that listen on a port of their own (increment_var = "PORT", PORT = 8080: instance n
// on 8080 + n) are each checked on their own port: a check of the app's base port names
// instance n's port n above it. Otherwise every instance is checked on the same address.
uint16_t instance_port(const AppSpec& spec, const Instance& instance, uint16_t port) {
    if (spec.increment_var.empty()) return port;
    auto it = spec.env.find(spec.increment_var);
    if (it == spec.env.end() || it->second != std::to_string(port)) return port;
    return static_cast<uint16_t>(port + instance.index);
}

}  // namespace

std::vector<pid_t> Manager::own_children() const {
    std::vector<pid_t> out;
    for (const auto& [name, app] : apps_)
        for (const Instance* i : app->all_instances()) {
            if (i->process) out.push_back(i->process.pid());
            if (i->health && i->health->probe_pid()) out.push_back(i->health->probe_pid());
        }
    return out;
}

void Manager::start_triggers(App& app) {
    const AppSpec& s = app.spec;
    if (!s.cron_restart.empty()) {
        try {
            app.cron = CronSchedule::parse(s.cron_restart);
            arm_cron(app, 0);
        } catch (const Error& e) {
            spdlog::error("app {}: cron_restart not armed: {}", s.name, e.what());
        }
    }
    if (s.watch) {
        std::vector<std::string> roots;
        if (s.watch_paths.empty()) roots.push_back(s.cwd);
        for (const auto& p : s.watch_paths) roots.push_back(!p.empty() && p[0] == '/' ? p : s.cwd + "/" + p);
        // The app's own log files (and their rotations) never count: an app logging into its
        // watched cwd would otherwise restart itself at every line.
        std::vector<std::string> ignore = s.ignore_watch;
        for (const auto& f : output_.info(s.name).files) ignore.push_back(glob_escape(f.path) + "*");
        uint64_t id = app.id;
        std::string name = s.name;
        try {
            app.file_watch = std::make_unique<FileWatch>(
                loop_, s.cwd, roots, ignore, s.watch_delay, [this, id, name](const std::string& path) {
                    trigger_app_restart(id, name, "watch", "restarted by pmd: " + path + " changed (watch)");
                });
            spdlog::info("app {}: watching {} path(s) for changes", name, app.file_watch->watched());
        } catch (const Error& e) {
            spdlog::error("app {}: watch not set up: {}", name, e.what());
        }
    }
}

void Manager::arm_cron(App& app, uint64_t not_before_sec) {
    app.cron_timer.reset();
    app.next_cron_usec = 0;
    if (!app.cron) return;
    uint64_t now_sec = loop_.now_realtime_usec() / 1'000'000;
    auto next = app.cron->next_run(CronSchedule::TimePoint(std::chrono::seconds(now_sec)),
                                   CronSchedule::TimePoint(std::chrono::seconds(not_before_sec)));
    if (!next) {
        spdlog::warn("app {}: cron_restart '{}' has no run in the next years", app.spec.name, app.spec.cron_restart);
        return;
    }
    uint64_t at = static_cast<uint64_t>(next->time_since_epoch().count()) * 1'000'000;
    app.next_cron_usec = at;
    uint64_t id = app.id;
    std::string name = app.spec.name;
    app.cron_timer = loop_.add_realtime_timer(at, [this, id, name, at] {
        App* app = same_app(id, name);
        if (!app) return;
        // The next run is computed from this run's time, not from now: a timer that fires a
        // microsecond early or late neither repeats nor skips a run.
        arm_cron(*app, at / 1'000'000);
        trigger_app_restart(id, name, "cron", "restarted by pmd: cron_restart '" + app->spec.cron_restart + "'");
    });
}

void Manager::trigger_app_restart(uint64_t app_id, const std::string& name, const std::string& reason,
                                  const std::string& description) {
    App* found = same_app(app_id, name, AppBeingDeleted::IsGone);
    if (!found) return;
    App& app = *found;
    // PM2's cron job pattern: an app with autorestart = false runs at each cron time and
    // exits; its exit is no reason to skip the next run. Only a stop someone asked for is.
    bool exited_by_itself = reason == "cron" && !app.stop_requested;
    if (!app.wanted_running() && !exited_by_itself) {
        spdlog::info("app {}: {} restart skipped: the app is stopped", name, reason);
        return;
    }
    if (app.busy()) {
        spdlog::info("app {}: {} restart skipped: a reload is running", name, reason);
        return;
    }
    bool cluster = is_cluster(app);
    spdlog::info("app {}: {} ({})", name, description, cluster ? "rolling reload" : "restart");
    for (Instance* i : app.all_instances())
        if (i->running() && !i->trigger) i->trigger = Instance::Trigger{reason, description};
    auto done = [this, app_id, name, reason](std::optional<Error> error) {
        if (error) spdlog::error("app {}: {} restart failed: {}", name, reason, error->what());
        // Instances still running were not replaced (a failed reload keeps them): their next
        // exit is not this trigger's doing.
        App* still = same_app(app_id, name);
        if (!still) return;
        for (Instance* i : still->all_instances())
            if (i->trigger && i->trigger->reason == reason && i->state == InstanceState::Online) i->trigger.reset();
    };
    // A rolling reload replaces running instances; an app that exited by itself just starts.
    if (cluster && app.wanted_running()) reload(name, done);
    else restart(name, done);
}

void Manager::restart_instance_for(App& app, Instance& instance, const std::string& reason,
                                   const std::string& description) {
    if (instance.state != InstanceState::Online || !instance.want_running) return;
    spdlog::warn("{}: {}", label(app, instance), description);
    instance.trigger = Instance::Trigger{reason, description};
    instance.restart_now = true;
    begin_stop(app, instance);
}

void Manager::guard_memory(App& app, Instance& instance) {
    auto key = key_of(app, instance);
    uint64_t limit = app.spec.max_memory_restart;
    auto over = [this, key](uint64_t bytes) {
        App* a = nullptr;
        Instance* i = lookup(key, &a);
        if (!i) return;
        restart_instance_for(*a, *i, "memory",
                             "restarted by pmd: memory " + format_size(bytes) + " over max_memory_restart " +
                                 format_size(a->spec.max_memory_restart));
    };
    try {
        if ((instance.memory_guard = instance.scope->guard_memory(limit, over))) return;
        auto sample = [this, key]() -> uint64_t {
            Instance* i = lookup(key);
            if (!i || !i->process) return 0;
            return i->scope->usage(i->process).memory_bytes;
        };
        instance.memory_guard = MemoryGuard::sampling(loop_, sample, limit, MemoryGuard::kSampleInterval, over);
    } catch (const Error& e) {
        spdlog::error("{}: max_memory_restart not armed: {}", label(app, instance), e.what());
    }
}

void Manager::check_health(App& app, Instance& instance) {
    const HealthCheck& hc = app.spec.health_check;
    auto key = key_of(app, instance);
    HealthChecker::StartProbe start;
    switch (hc.type) {
        case HealthCheck::Type::None: return;
        case HealthCheck::Type::Http: {
            auto target = parse_http_url(hc.url);
            if (!target) return;  // validate_spec refused it already
            auto* port = target->address.ss_family == AF_INET
                             ? &reinterpret_cast<sockaddr_in*>(&target->address)->sin_port
                             : &reinterpret_cast<sockaddr_in6*>(&target->address)->sin6_port;
            *port = htons(instance_port(app.spec, instance, ntohs(*port)));
            start = [this, target = *target, hc](ProbeDone done) {
                return start_http_probe(loop_, target, hc.expected_status, hc.timeout, std::move(done));
            };
            break;
        }
        case HealthCheck::Type::Tcp: {
            sockaddr_storage address{};
            auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
            v4->sin_family = AF_INET;
            v4->sin_port = htons(instance_port(app.spec, instance, hc.port));
            v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            start = [this, address, hc](ProbeDone done) {
                return start_tcp_probe(loop_, address, sizeof(sockaddr_in), hc.timeout, std::move(done));
            };
            break;
        }
        case HealthCheck::Type::Exec:
            // As the app's user, in its cwd, with its environment; in pmd's own cgroup, so the
            // instance's cgroup holds only the instance.
            start = [this, key, hc](ProbeDone done) -> std::unique_ptr<Probe> {
                App* a = nullptr;
                Instance* i = lookup(key, &a);
                if (!i) return nullptr;
                SpawnRequest req;
                req.argv = hc.command;
                req.env = a->plan.base_env;
                req.env.push_back("PMD_INSTANCE=" + std::to_string(i->index));
                req.cwd = a->spec.cwd;
                req.credentials = a->plan.credentials;
                req.umask = static_cast<mode_t>(a->spec.umask);
                req.no_new_privs = a->spec.no_new_privs;
                try {
                    req.path = resolve_executable(hc.command.front(), req.cwd, req.env);
                } catch (const Error&) {
                    req.path = hc.command.front();  // spawn reports the failure as the probe's result
                }
                return start_exec_probe(loop_, req, hc.timeout, std::move(done));
            };
            break;
    }
    instance.health = std::make_unique<HealthChecker>(
        loop_, hc, std::move(start),
        [this, key] {
            App* a = nullptr;
            Instance* i = lookup(key, &a);
            if (!i) return;
            spdlog::info("{}: {} ({})", label(*a, *i), health_name(i->health->health()), i->health->last_result());
            changed(*a);
        },
        [this, key](const std::string& why) { on_unhealthy(key, why); });
}

void Manager::on_unhealthy(const InstanceKey& key, const std::string& why) {
    App* a = nullptr;
    Instance* i = lookup(key, &a);
    if (!i || i->state != InstanceState::Online || a->busy() || a->deleting) return;
    // Capacity floor: at most one instance of an app is down for its health at a time. While
    // another instance that should serve is not online and ready, this one keeps serving (even
    // unhealthy, it may answer some requests) and is asked about again at its next failed check.
    for (const auto& other : a->instances) {
        if (other.get() == i || !other->want_running) continue;
        if (other->state != InstanceState::Online || !other->ready) {
            spdlog::info("{}: unhealthy; waiting for {}[{}] to serve again before restarting it", label(*a, *i),
                         a->spec.name, other->index);
            return;
        }
    }
    restart_instance_for(*a, *i, "health", "restarted by pmd: " + why);
}

}  // namespace pmd
