#include "bus/app_object.h"

#include <systemd/sd-bus.h>

#include <cstdlib>
#include <memory>

#include "bus/authorization.h"
#include "bus/bus_errors.h"
#include "bus/caller.h"
#include "bus/spec_codec.h"
#include "cgroup/resource_usage.h"

namespace pmd {

std::string app_object_path(const std::string& name) {
    char* path = nullptr;
    if (sd_bus_path_encode("/org/pmd/God1/app", name.c_str(), &path) < 0 || !path)
        throw Error(Error::Kind::Failed, "cannot encode an object path for '" + name + "'");
    std::string out(path);
    std::free(path);
    return out;
}

std::map<std::string, sdbus::Variant> instance_dict(Manager& manager, const App& app, const Instance& instance) {
    InstanceStats s = manager.stats(app, instance);
    std::map<std::string, sdbus::Variant> d;
    d["index"] = sdbus::Variant(static_cast<uint32_t>(instance.index));
    d["pid"] = sdbus::Variant(static_cast<int32_t>(instance.process ? instance.process.pid() : 0));
    d["state"] = sdbus::Variant(state_name(instance.state));
    d["restarts"] = sdbus::Variant(instance.restarts);
    d["unstable_restarts"] = sdbus::Variant(instance.policy.unstable_restarts());
    d["uptime_ms"] = sdbus::Variant(s.uptime_ms);
    d["memory_bytes"] = sdbus::Variant(s.memory_bytes);
    d["cpu_percent"] = sdbus::Variant(s.cpu_percent);
    d["cpu_usage_nsec"] = sdbus::Variant(s.cpu_usage_nsec);
    d["processes"] = sdbus::Variant(s.processes);
    d["cgroup"] = sdbus::Variant(instance.cgroup_path());
    // Block-device bytes from io.stat; where there is none, the reason instead of a 0.
    if (auto io = instance.scope ? instance.scope->io_usage() : std::nullopt) {
        d["io_read_bytes"] = sdbus::Variant(io->read_bytes);
        d["io_write_bytes"] = sdbus::Variant(io->write_bytes);
    } else {
        d["io_unavailable"] = sdbus::Variant(std::string(instance.cgroup_path().empty() ? "not available (no cgroup)" : kIoUnavailable));
    }
    d["ready"] = sdbus::Variant(instance.ready);
    d["status"] = sdbus::Variant(instance.status_text);
    if (instance.last_exit) {
        d["last_exit_pid"] = sdbus::Variant(static_cast<int32_t>(instance.last_exit->pid));
        d["last_exit_reason"] = sdbus::Variant(instance.last_exit->reason);
        d["last_exit_code"] = sdbus::Variant(static_cast<int32_t>(instance.last_exit->code));
        d["last_exit"] = sdbus::Variant(instance.last_exit->description);
    }
    if (app.spec.health_check.type != HealthCheck::Type::None) {
        std::string health;
        if (instance.health) health = health_name(instance.health->health());
        else if (instance.state == InstanceState::Online) health = "starting";  // not ready yet
        d["health"] = sdbus::Variant(health);
        d["health_failures"] = sdbus::Variant(instance.health ? instance.health->failures() : 0u);
        d["health_result"] = sdbus::Variant(instance.health ? instance.health->last_result() : std::string());
    }
    return d;
}

std::vector<std::map<std::string, sdbus::Variant>> instance_dicts(Manager& manager, const App& app) {
    std::vector<std::map<std::string, sdbus::Variant>> out;
    out.reserve(app.instances.size() + app.incoming.size());
    for (const auto& instance : app.instances) out.push_back(instance_dict(manager, app, *instance));
    for (const auto& instance : app.incoming) {
        out.push_back(instance_dict(manager, app, *instance));
        out.back()["incoming"] = sdbus::Variant(true);
    }
    return out;
}

Manager::Done reply_when_done(sdbus::Result<>&& result) {
    auto shared = std::make_shared<sdbus::Result<>>(std::move(result));
    return [shared](std::optional<Error> error) {
        send_quietly("a method reply", [&] {
            if (error) shared->returnError(to_bus_error(*error));
            else shared->returnResults();
        });
    };
}

AppObject::AppObject(sdbus::IConnection& connection, Manager& manager, FiguresClock& clock, LogWatch& logs, std::string name)
    : AdaptorInterfaces(connection, app_object_path(name)),
      manager_(manager),
      figures_clock_(clock),
      log_watch_(logs),
      name_(std::move(name)) {
    registerAdaptor();
    FiguresClock::OwnReads own(figures_clock_);
    send_quietly("InterfacesAdded", [&] { emitInterfacesAddedSignal({org::pmd::God1::App_adaptor::INTERFACE_NAME}); });
}

AppObject::~AppObject() {
    send_quietly("InterfacesRemoved", [&] { emitInterfacesRemovedSignal({org::pmd::God1::App_adaptor::INTERFACE_NAME}); });
    unregisterAdaptor();
}

void AppObject::emit_changed() {
    send_quietly("PropertiesChanged", [&] {
        emitPropertiesChangedSignal(org::pmd::God1::App_adaptor::INTERFACE_NAME, {"State", "Restarts", "Pids", "Instances"});
    });
}

const App& AppObject::app() const {
    const App* app = manager_.find(name_);
    if (!app) throw Error(Error::Kind::NoSuchApp, "app '" + name_ + "' is gone");
    return *app;
}

void AppObject::Stop(sdbus::Result<>&& result) {
    guarded([&] { require_app_manager(getObject(), manager_, name_, "stop"); });
    manager_.stop(name_, reply_when_done(std::move(result)));
}

void AppObject::Restart(sdbus::Result<>&& result) {
    guarded([&] { require_app_manager(getObject(), manager_, name_, "restart"); });
    manager_.restart(name_, reply_when_done(std::move(result)));
}

void AppObject::Delete(sdbus::Result<>&& result) {
    guarded([&] { require_app_manager(getObject(), manager_, name_, "delete"); });
    manager_.remove(name_, reply_when_done(std::move(result)));
}

void AppObject::Reload(sdbus::Result<>&& result) {
    guarded([&] { require_app_manager(getObject(), manager_, name_, "reload"); });
    manager_.reload(name_, reply_when_done(std::move(result)));
}

void AppObject::Scale(sdbus::Result<>&& result, uint32_t instances) {
    guarded([&] { require_app_manager(getObject(), manager_, name_, "scale"); });
    manager_.scale(name_, instances, reply_when_done(std::move(result)));
}

void AppObject::Signal(const int32_t& signal) {
    guarded([&] {
        require_app_manager(getObject(), manager_, name_, "signal");
        manager_.signal(name_, signal);
    });
}

std::vector<std::string> AppObject::Environment(const uint32_t& instance) {
    return guarded([&] {
        // Env values are secrets as in Spec: whoever may not read those may not read these.
        Caller caller = current_caller(getObject());
        if (!may_read_app_secrets(caller, app()))
            throw Error(Error::Kind::AccessDenied, "uid " + std::to_string(caller.uid) + " may not read the environment of app '" +
                                                       name_ + "': only root, the admin group and the user it runs as may");
        return manager_.environment(name_, instance);
    });
}

void AppObject::ResetCounters() {
    guarded([&] {
        require_app_manager(getObject(), manager_, name_, "reset the counters of");
        manager_.reset_counters(name_);
    });
}

std::string AppObject::State() { return guarded([&] { return app().state(); }); }
std::string AppObject::User() { return guarded([&] { return app().plan.user_name; }); }
uint32_t AppObject::Owner() { return guarded([&] { return static_cast<uint32_t>(app().owner); }); }
uint32_t AppObject::Restarts() { return guarded([&] { return app().restarts(); }); }

std::vector<int32_t> AppObject::Pids() {
    return guarded([&] {
        std::vector<int32_t> out;
        for (pid_t p : app().pids()) out.push_back(p);
        return out;
    });
}

std::vector<std::map<std::string, sdbus::Variant>> AppObject::Instances() {
    return guarded([&] { return instance_dicts(manager_, app()); });
}

std::map<std::string, sdbus::Variant> AppObject::Spec() {
    return guarded([&] {
        const App& a = app();
        return encode_spec(may_read_secrets(getObject(), a) ? a.spec : redacted_spec(a.spec));
    });
}
std::map<std::string, sdbus::Variant> AppObject::properties() {
    std::map<std::string, sdbus::Variant> d;
    d["Name"] = sdbus::Variant(Name());
    d["State"] = sdbus::Variant(State());
    d["User"] = sdbus::Variant(User());
    d["Owner"] = sdbus::Variant(Owner());
    d["Restarts"] = sdbus::Variant(Restarts());
    d["Pids"] = sdbus::Variant(Pids());
    d["Instances"] = sdbus::Variant(Instances());
    d["Spec"] = sdbus::Variant(Spec());
    d["CgroupPath"] = sdbus::Variant(CgroupPath());
    d["StatsSource"] = sdbus::Variant(StatsSource());
    d["Warnings"] = sdbus::Variant(Warnings());
    d["LogFiles"] = sdbus::Variant(LogFiles());
    d["LogSinks"] = sdbus::Variant(LogSinks());
    d["DroppedLines"] = sdbus::Variant(DroppedLines());
    d["NextCronRestart"] = sdbus::Variant(NextCronRestart());
    return d;
}

std::string AppObject::CgroupPath() { return guarded([&] { return app().cgroup.relative(); }); }
std::string AppObject::StatsSource() { return manager_.stats_source(); }
std::vector<std::string> AppObject::Warnings() { return guarded([&] { return app().plan.warnings; }); }
uint64_t AppObject::NextCronRestart() { return guarded([&] { return app().next_cron_usec; }); }

}  // namespace pmd
