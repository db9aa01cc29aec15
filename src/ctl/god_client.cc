#include "ctl/god_client.h"

#include <chrono>

#include "ctl/bus_connect.h"
#include "ctl/bus_wait.h"

namespace pmd {
namespace {

constexpr const char* kService = "org.pmd.God1";
constexpr const char* kManagerPath = "/org/pmd/God1";
constexpr const char* kManager = "org.pmd.God1.Manager";
constexpr const char* kApp = "org.pmd.God1.App";
// Stop waits for kill_timeout of every instance; the daemon bounds that, not the client,
// unless the user said how long to wait.
constexpr std::chrono::minutes kLongCall{30};

}  // namespace

GodClient::GodClient(const BusChoice& bus)
    : bus_(bus),
      short_call_(bus.call_timeout.value_or(kDefaultCallTimeout)),
      long_call_(bus.call_timeout.value_or(kLongCall)) {
    connection_ = connect_within(bus, short_call_);
    manager_ = sdbus::createProxy(*connection_, kService, kManagerPath);
}

template <typename Call>
auto GodClient::call(Call&& c) -> decltype(c()) {
    try {
        return c();
    } catch (const sdbus::Error& e) {
        const std::string& name = e.getName();
        if (name == "org.freedesktop.DBus.Error.ServiceUnknown" || name == "org.freedesktop.DBus.Error.NameHasNoOwner")
            throw CtlFailure(3, "pmd is not running on " + bus_.describe() + " (nobody owns org.pmd.God1 there)");
        if (name == "org.freedesktop.DBus.Error.Timeout" || name == "org.freedesktop.DBus.Error.NoReply")
            throw CtlFailure(3, "pmd did not answer on " + bus_.describe() + " in time (--timeout sets how long to wait)");
        if (name.rfind("org.pmd.God1.Error.", 0) == 0) {
            int code = name == "org.pmd.God1.Error.NoSuchApp" ? 4 : 1;
            throw CtlFailure(code, e.getMessage());
        }
        throw CtlFailure(1, e.getMessage() + " (" + name + ")");
    }
}

sdbus::ObjectPath GodClient::start_app(const VariantDict& spec) {
    return call([&] {
        sdbus::ObjectPath path;
        manager_->callMethod("StartApp").onInterface(kManager).withTimeout(short_call_).withArguments(spec).storeResultsTo(path);
        return path;
    });
}

void GodClient::act(const std::string& method, const std::string& name) {
    call([&] { manager_->callMethod(method).onInterface(kManager).withTimeout(long_call_).withArguments(name); });
}

void GodClient::signal(const std::string& name, int signal) {
    call([&] { manager_->callMethod("Signal").onInterface(kManager).withTimeout(short_call_).withArguments(name, signal); });
}

void GodClient::scale(const std::string& name, uint32_t instances) {
    call([&] { manager_->callMethod("Scale").onInterface(kManager).withTimeout(long_call_).withArguments(name, instances); });
}

std::vector<VariantDict> GodClient::list_apps() {
    return call([&] {
        std::vector<VariantDict> apps;
        manager_->callMethod("ListApps").onInterface(kManager).withTimeout(short_call_).storeResultsTo(apps);
        return apps;
    });
}

VariantDict GodClient::describe(const std::string& name) {
    return call([&] {
        VariantDict props;
        manager_->callMethod("DescribeApp").onInterface(kManager).withTimeout(short_call_).withArguments(name).storeResultsTo(props);
        return props;
    });
}

sdbus::ObjectPath GodClient::app_path(const std::string& name) {
    return call([&] {
        sdbus::ObjectPath path;
        manager_->callMethod("GetApp").onInterface(kManager).withTimeout(short_call_).withArguments(name).storeResultsTo(path);
        return path;
    });
}

std::string GodClient::ping() {
    return call([&] {
        std::string version;
        manager_->callMethod("Ping").onInterface(kManager).withTimeout(short_call_).storeResultsTo(version);
        return version;
    });
}

std::vector<sdbus::ObjectPath> GodClient::start_file(const std::string& absolute_path, const std::string& profile,
                                                    const std::vector<std::string>& only) {
    return call([&] {
        std::vector<sdbus::ObjectPath> apps;
        manager_->callMethod("StartFile").onInterface(kManager).withTimeout(short_call_)
            .withArguments(absolute_path, profile, only).storeResultsTo(apps);
        return apps;
    });
}

std::string GodClient::save() {
    return call([&] {
        std::string path;
        manager_->callMethod("Save").onInterface(kManager).withTimeout(short_call_).storeResultsTo(path);
        return path;
    });
}

std::vector<std::string> GodClient::resurrect() {
    return call([&] {
        std::vector<std::string> started;
        manager_->callMethod("Resurrect").onInterface(kManager).withTimeout(short_call_).storeResultsTo(started);
        return started;
    });
}

std::string GodClient::owner_of_name() {
    auto dbus = sdbus::createProxy(*connection_, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    try {
        std::string owner;
        dbus->callMethod("GetNameOwner").onInterface("org.freedesktop.DBus").withTimeout(short_call_).withArguments(std::string(kService))
            .storeResultsTo(owner);
        return owner;
    } catch (const sdbus::Error&) {
        return "";  // nobody owns it (yet)
    }
}

void GodClient::daemon_reexec() {
    // Subscribed before the call: the new pmd cannot take the name before pmctl listens.
    auto dbus = sdbus::createProxy(*connection_, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    std::string before = owner_of_name();
    bool back = false;
    dbus->uponSignal("NameOwnerChanged").onInterface("org.freedesktop.DBus")
        .call([&](const std::string& name, const std::string&, const std::string& new_owner) {
            if (name == kService && !new_owner.empty() && new_owner != before) back = true;
        });
    dbus->finishRegistration();
    call([&] { manager_->callMethod("Reexecute").onInterface(kManager).withTimeout(short_call_); });
    // The reply comes before the exec; done is when the new pmd owns the name again (a new
    // connection, so a new unique name) and answers.
    if (!wait_on_bus(*connection_, std::chrono::steady_clock::now() + std::chrono::seconds(60), [&] { return back; }))
        throw CtlFailure(1, "pmd did not come back on " + bus_.describe() + " within 60 s of re-executing (see its log)");
    ping();
}

std::vector<std::string> GodClient::environment(const std::string& name, uint32_t instance) {
    return call([&] {
        sdbus::ObjectPath path;
        manager_->callMethod("GetApp").onInterface(kManager).withTimeout(short_call_).withArguments(name).storeResultsTo(path);
        auto app = sdbus::createProxy(*connection_, kService, path);
        std::vector<std::string> env;
        app->callMethod("Environment").onInterface(kApp).withTimeout(short_call_).withArguments(instance).storeResultsTo(env);
        return env;
    });
}

std::vector<std::string> GodClient::reset_counters(const std::string& name) {
    return call([&] {
        std::vector<std::string> apps;
        manager_->callMethod("ResetCounters").onInterface(kManager).withTimeout(short_call_).withArguments(name).storeResultsTo(apps);
        return apps;
    });
}

VariantDict GodClient::report() {
    return call([&] {
        VariantDict report;
        manager_->callMethod("Report").onInterface(kManager).withTimeout(short_call_).storeResultsTo(report);
        return report;
    });
}

VariantDict GodClient::daemon_reload() {
    // Removed and changed apps are stopped first: as long as a stop.
    return call([&] {
        VariantDict summary;
        manager_->callMethod("DaemonReload").onInterface(kManager).withTimeout(long_call_).storeResultsTo(summary);
        return summary;
    });
}

}  // namespace pmd
