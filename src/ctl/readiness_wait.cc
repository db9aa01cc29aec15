#include "ctl/readiness_wait.h"

#include <algorithm>
#include <map>
#include <memory>

#include "base/quantity.h"
#include "ctl/bus_wait.h"
#include "ctl/god_client.h"

namespace pmd {
namespace {

constexpr const char* kService = "org.pmd.God1";
constexpr const char* kApp = "org.pmd.God1.App";

struct WatchedApp {
    std::unique_ptr<sdbus::IProxy> proxy;
    std::string name;
    bool changed = true;           // read Instances again
    std::vector<std::string> not_ready;  // "instance 1 (pid 42, online)"
};

template <typename T>
T get_or(const VariantDict& d, const char* key, T fallback) {
    auto it = d.find(key);
    return it == d.end() ? fallback : it->second.get<T>();
}

// Reads the app's state and instances; fills `not_ready`. Throws when it cannot become ready.
void read(WatchedApp& app) {
    app.changed = false;
    app.not_ready.clear();
    // One GetAll, so State and Instances describe the same moment (two reads could see an
    // online app and, a moment later, its errored instance).
    std::map<std::string, sdbus::Variant> properties;
    app.proxy->callMethod("GetAll").onInterface("org.freedesktop.DBus.Properties").withArguments(kApp).storeResultsTo(properties);
    auto state = properties.at("State").get<std::string>();
    auto instances = properties.at("Instances").get<std::vector<VariantDict>>();
    bool hopeless = state == "errored" || state == "stopped";
    for (const auto& i : instances) {
        std::string istate = get_or<std::string>(i, "state", "?");
        // Errored or stopped for good (no autorestart): no READY=1 will ever come.
        hopeless = hopeless || istate == "errored" || istate == "stopped";
        if (get_or<bool>(i, "ready", false) && istate == "online") continue;
        std::string what = "instance " + std::to_string(get_or<uint32_t>(i, "index", 0)) + " (";
        if (int32_t pid = get_or<int32_t>(i, "pid", 0); pid > 0) what += "pid " + std::to_string(pid) + ", ";
        what += istate;
        if (std::string last = get_or<std::string>(i, "last_exit", ""); !last.empty()) what += ", last exit: " + last;
        app.not_ready.push_back(what + ")");
    }
    if (hopeless) {
        std::string message = "app '" + app.name + "' is " + state + " and will not become ready";
        for (const auto& n : app.not_ready) message += "; " + n;
        throw CtlFailure(1, message + " (pmctl describe " + app.name + " shows why)");
    }
    if (instances.empty()) app.not_ready.push_back("no instance yet");
}

}  // namespace

void wait_until_ready(sdbus::IConnection& connection, const std::vector<sdbus::ObjectPath>& apps,
                      std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::vector<WatchedApp> watched(apps.size());
    for (size_t k = 0; k < apps.size(); ++k) {
        auto& w = watched[k];
        w.proxy = sdbus::createProxy(connection, kService, apps[k]);
        // Subscribed before the first read: a readiness announced in between is not missed.
        w.proxy->uponSignal("PropertiesChanged").onInterface("org.freedesktop.DBus.Properties")
            .call([&w](const std::string&, const VariantDict&, const std::vector<std::string>&) { w.changed = true; });
        w.proxy->finishRegistration();
        w.name = w.proxy->getProperty("Name").onInterface(kApp).get<std::string>();
    }
    auto all_ready = [&] {
        bool all = true;
        for (auto& w : watched) {
            if (w.changed) read(w);
            all = all && w.not_ready.empty();
        }
        return all;
    };
    if (wait_on_bus(connection, deadline, all_ready)) return;
    std::string message;
    for (const auto& w : watched) {
        if (w.not_ready.empty()) continue;
        message += (message.empty() ? "" : "; ") + w.name + ": ";
        for (size_t n = 0; n < w.not_ready.size(); ++n) message += (n ? ", " : "") + w.not_ready[n];
    }
    throw CtlFailure(3, "not ready within " + format_duration(limit) + " (--timeout sets how long to wait; the app keeps running): " + message);
}

std::vector<sdbus::ObjectPath> apps_waiting_for_ready(sdbus::IConnection& connection, const std::vector<sdbus::ObjectPath>& apps) {
    std::vector<sdbus::ObjectPath> waiting;
    for (const auto& path : apps) {
        auto proxy = sdbus::createProxy(connection, kService, path);
        auto spec = proxy->getProperty("Spec").onInterface(kApp).get<VariantDict>();
        if (get_or<bool>(spec, "wait_ready", false)) waiting.push_back(path);
    }
    return waiting;
}

}  // namespace pmd
