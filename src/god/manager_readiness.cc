// Readiness (listen_timeout, READY=1, listen() in cluster mode), the watchdog and the sd_notify
// and IPC messages that drive them.
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
        i->scope->kill_all(i->process);
    });
}

Instance* Manager::instance_of_pid(pid_t pid, App** app_out) {
    // Whoever's cgroup it is in (or, without cgroup2, whose main pid or process group it is):
    // a worker's child may speak for its instance, a stranger for nobody.
    PidPlace place = scopes_->place_of(pid);
    for (auto& [name, app] : apps_) {
        for (Instance* i : app->all_instances()) {
            if (!i->scope || !i->scope->owns(place, i->process) || i->state != InstanceState::Online) continue;
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

}  // namespace pmd
