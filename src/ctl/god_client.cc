#include "ctl/god_client.h"

#include <chrono>
#include <map>

#include "ctl/bus_connect.h"
#include "ctl/bus_wait.h"

namespace pmd {
namespace {

constexpr const char* kService = "org.pmd.God1";
constexpr const char* kManagerPath = "/org/pmd/God1";
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
    manager_calls_ = std::make_unique<ManagerCalls>(*manager_);
}

template <typename Call>
auto GodClient::call(std::chrono::milliseconds timeout, Call&& c) -> decltype(c()) {
    // The generated calls take no timeout of their own: the connection's applies (pmctl makes
    // one call at a time).
    connection_->setMethodCallTimeout(timeout);
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
    return call(short_call_, [&] { return manager_calls_->StartApp(spec); });
}

void GodClient::act(const std::string& method, const std::string& name) {
    using Action = void (ManagerCalls::*)(const std::string&);
    static const std::map<std::string, Action> actions{
        {"Stop", &ManagerCalls::Stop},       {"Restart", &ManagerCalls::Restart},     {"Delete", &ManagerCalls::Delete},
        {"Reload", &ManagerCalls::Reload},   {"FlushLogs", &ManagerCalls::FlushLogs},
    };
    auto action = actions.find(method);
    if (action == actions.end()) throw CtlFailure(1, "pmctl has no action " + method);
    call(long_call_, [&] { (manager_calls_.get()->*action->second)(name); });
}

void GodClient::signal(const std::string& name, int signal) {
    call(short_call_, [&] { manager_calls_->Signal(name, signal); });
}

void GodClient::scale(const std::string& name, uint32_t instances) {
    call(long_call_, [&] { manager_calls_->Scale(name, instances); });
}

std::vector<VariantDict> GodClient::list_apps() {
    return call(short_call_, [&] { return manager_calls_->ListApps(); });
}

VariantDict GodClient::describe(const std::string& name) {
    return call(short_call_, [&] { return manager_calls_->DescribeApp(name); });
}

sdbus::ObjectPath GodClient::app_path(const std::string& name) {
    return call(short_call_, [&] { return manager_calls_->GetApp(name); });
}

std::string GodClient::ping() {
    return call(short_call_, [&] { return manager_calls_->Ping(); });
}

std::vector<sdbus::ObjectPath> GodClient::start_file(const std::string& absolute_path, const std::string& profile,
                                                    const std::vector<std::string>& only) {
    return call(short_call_, [&] { return manager_calls_->StartFile(absolute_path, profile, only); });
}

std::string GodClient::save() {
    return call(short_call_, [&] { return manager_calls_->Save(); });
}

std::vector<std::string> GodClient::resurrect() {
    return call(short_call_, [&] { return manager_calls_->Resurrect(); });
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
    call(short_call_, [&] { manager_calls_->Reexecute(); });
    // The reply comes before the exec; done is when the new pmd owns the name again (a new
    // connection, so a new unique name) and answers.
    if (!wait_on_bus(*connection_, std::chrono::steady_clock::now() + std::chrono::seconds(60), [&] { return back; }))
        throw CtlFailure(1, "pmd did not come back on " + bus_.describe() + " within 60 s of re-executing (see its log)");
    ping();
}

std::vector<std::string> GodClient::environment(const std::string& name, uint32_t instance) {
    return call(short_call_, [&] {
        auto proxy = sdbus::createProxy(*connection_, kService, manager_calls_->GetApp(name));
        return AppCalls(*proxy).Environment(instance);
    });
}

std::vector<std::string> GodClient::reset_counters(const std::string& name) {
    return call(short_call_, [&] { return manager_calls_->ResetCounters(name); });
}

VariantDict GodClient::report() {
    return call(short_call_, [&] { return manager_calls_->Report(); });
}

VariantDict GodClient::daemon_reload() {
    // Removed and changed apps are stopped first: as long as a stop.
    return call(long_call_, [&] { return manager_calls_->DaemonReload(); });
}

}  // namespace pmd
