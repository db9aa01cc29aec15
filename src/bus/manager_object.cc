#include "bus/manager_object.h"

#include "bus/authorization.h"
#include "bus/bus_errors.h"
#include "bus/caller.h"
#include "bus/spec_codec.h"
#include "config/spec_validation.h"

namespace pmd {

ManagerObject::ManagerObject(sdbus::IConnection& connection, EventLoop& loop, Manager& manager, DeclaredApps* declared)
    : AdaptorInterfaces(connection, "/org/pmd/God1"),
      connection_(connection),
      loop_(loop),
      manager_(manager),
      declared_(declared),
      trimmer_(loop),
      figures_clock_(loop, [this] { publish_figures(); }),
      log_watch_(loop, [this](const std::string& app, const std::vector<std::string>& clients,
                              const std::vector<TailLine>& lines, uint64_t skipped) { send_log_lines(app, clients, lines, skipped); }) {
    registerAdaptor();
    manager_.output().set_line_listener([this](const std::string& app, const TailLine& line) { log_watch_.line(app, line); });
    // On a new connection after the bus came back, the apps are there already.
    for (const App* app : manager_.apps())
        objects_[app->spec.name] = std::make_unique<AppObject>(connection_, manager_, figures_clock_, log_watch_, app->spec.name);
    manager_.set_observer(this);
}

ManagerObject::~ManagerObject() {
    manager_.set_observer(nullptr);
    manager_.output().set_line_listener(nullptr);
    objects_.clear();
    unregisterAdaptor();
}

void ManagerObject::app_added(const App& app) {
    const std::string& name = app.spec.name;
    objects_[name] = std::make_unique<AppObject>(connection_, manager_, figures_clock_, log_watch_, name);
    send_quietly("AppAdded", [&] { emitAppAdded(name, app_object_path(name)); });
}

void ManagerObject::app_removed(const std::string& name) {
    dirty_.erase(name);
    log_watch_.forget(name);
    if (objects_.erase(name)) send_quietly("AppRemoved", [&] { emitAppRemoved(name, app_object_path(name)); });
}

void ManagerObject::app_changed(const App& app) {
    if (!objects_.count(app.spec.name)) return;
    dirty_.insert(app.spec.name);
    if (!flush_) flush_ = loop_.add_defer([this] { flush_changes(); });
}

void ManagerObject::flush_changes() {
    auto dirty = std::move(dirty_);
    dirty_.clear();
    for (const auto& name : dirty) {
        auto it = objects_.find(name);
        if (it != objects_.end()) it->second->emit_changed();
    }
    flush_.reset();
    trimmer_.after_burst();
}

void ManagerObject::instance_exited(const App& app, const Instance& instance, const ExitRecord& exit) {
    send_quietly("InstanceExited",
                 [&] { emitInstanceExited(app.spec.name, instance.index, exit.pid, exit.reason, exit.code); });
}

sdbus::ObjectPath ManagerObject::StartApp(const std::map<std::string, sdbus::Variant>& spec) {
    return guarded([&] {
        // [defaults] apply to every app, `pmctl start -- CMD` as much as an app file's.
        AppSpec decoded = declared_ ? decode_spec(spec, declared_->settings().defaults) : decode_spec(spec);
        Caller caller = require_start(getObject(), decoded);
        const App& app = manager_.start(std::move(decoded), caller.uid);
        return sdbus::ObjectPath(app_object_path(app.spec.name));
    });
}

void ManagerObject::Stop(sdbus::Result<>&& result, std::string name) {
    guarded([&] { require_app_manager(getObject(), manager_, name, "stop"); });
    manager_.stop(name, reply_when_done(std::move(result)));
}

void ManagerObject::Restart(sdbus::Result<>&& result, std::string name) {
    guarded([&] { require_app_manager(getObject(), manager_, name, "restart"); });
    manager_.restart(name, reply_when_done(std::move(result)));
}

void ManagerObject::Delete(sdbus::Result<>&& result, std::string name) {
    guarded([&] { require_app_manager(getObject(), manager_, name, "delete"); });
    manager_.remove(name, reply_when_done(std::move(result)));
}

void ManagerObject::Reload(sdbus::Result<>&& result, std::string name) {
    guarded([&] { require_app_manager(getObject(), manager_, name, "reload"); });
    manager_.reload(name, reply_when_done(std::move(result)));
}

void ManagerObject::Scale(sdbus::Result<>&& result, std::string name, uint32_t instances) {
    guarded([&] { require_app_manager(getObject(), manager_, name, "scale"); });
    manager_.scale(name, instances, reply_when_done(std::move(result)));
}

void ManagerObject::Signal(const std::string& name, const int32_t& signal) {
    guarded([&] {
        require_app_manager(getObject(), manager_, name, "signal");
        manager_.signal(name, signal);
    });
}

std::vector<std::map<std::string, sdbus::Variant>> ManagerObject::ListApps() {
    return guarded([&] {
        std::vector<std::map<std::string, sdbus::Variant>> out;
        for (const App* app : manager_.apps()) {
            std::map<std::string, sdbus::Variant> d;
            d["name"] = sdbus::Variant(app->spec.name);
            d["state"] = sdbus::Variant(app->state());
            d["user"] = sdbus::Variant(app->plan.user_name);
            d["owner"] = sdbus::Variant(static_cast<uint32_t>(app->owner));
            d["source"] = sdbus::Variant(app->source);
            d["restarts"] = sdbus::Variant(app->restarts());
            d["path"] = sdbus::Variant(sdbus::ObjectPath(app_object_path(app->spec.name)));
            d["cgroup"] = sdbus::Variant(app->cgroup.relative());
            // Whether READY=1 decides readiness, so a listing can leave readiness out otherwise.
            d["wait_ready"] = sdbus::Variant(app->spec.wait_ready);
            if (app->next_cron_usec) d["next_cron_restart_usec"] = sdbus::Variant(app->next_cron_usec);
            d["instances"] = sdbus::Variant(instance_dicts(manager_, *app));
            out.push_back(std::move(d));
        }
        return out;
    });
}

sdbus::ObjectPath ManagerObject::GetApp(const std::string& name) {
    return guarded([&] {
        if (!manager_.find(name))
            throw Error(Error::Kind::NoSuchApp, "no app named '" + name + "' (pmctl ls lists the apps)");
        return sdbus::ObjectPath(app_object_path(name));
    });
}

std::map<std::string, sdbus::Variant> ManagerObject::DescribeApp(const std::string& name) {
    return guarded([&] {
        const App* app = manager_.find(name);
        auto it = objects_.find(name);
        if (!app || it == objects_.end())
            throw Error(Error::Kind::NoSuchApp, "no app named '" + name + "' (pmctl ls lists the apps)");
        auto d = it->second->properties();
        // A method call knows its caller, so the owner sees the real spec here.
        Caller caller = current_caller(getObject());
        d["Spec"] = sdbus::Variant(encode_spec(may_read_app_secrets(caller, *app) ? app->spec : redacted_spec(app->spec)));
        return d;
    });
}

std::string ManagerObject::Ping() { return PMD_VERSION; }
std::string ManagerObject::Version() { return PMD_VERSION; }
std::string ManagerObject::CgroupMode() { return manager_.cgroup_mode(); }
std::string ManagerObject::CgroupRoot() { return manager_.cgroup_root(); }

}  // namespace pmd
