// GodClient: pmctl's side of org.pmd.God1, on the generated proxies (ctl/god_proxies.h). Every
// call has an explicit timeout (stop and restart wait for kill_timeout, so they get a long one)
// and turns a D-Bus failure into a one-line message a person can act on.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bus/bus_choice.h"
#include "ctl/god_proxies.h"

namespace pmd {

using VariantDict = std::map<std::string, sdbus::Variant>;

// A failure to show as "pmctl: <message>" with this exit code.
struct CtlFailure : std::runtime_error {
    CtlFailure(int code, const std::string& message) : std::runtime_error(message), exit_code(code) {}
    int exit_code;
};

class GodClient {
public:
    explicit GodClient(const BusChoice& bus);
    // For waits on signals beside the calls (ctl/readiness_wait.h).
    sdbus::IConnection& connection() { return *connection_; }

    sdbus::ObjectPath start_app(const VariantDict& spec);
    // "Stop", "Restart", "Delete" on a name or "all"; waits for completion.
    void act(const std::string& method, const std::string& name);
    void signal(const std::string& name, int signal);
    void scale(const std::string& name, uint32_t instances);
    std::vector<VariantDict> list_apps();
    VariantDict describe(const std::string& name);
    sdbus::ObjectPath app_path(const std::string& name);
    std::string ping();
    // Apps from files: pmd reads the file; returns the started apps' object paths.
    std::vector<sdbus::ObjectPath> start_file(const std::string& absolute_path, const std::string& profile,
                                              const std::vector<std::string>& only);
    std::string save();
    std::vector<std::string> resurrect();
    VariantDict daemon_reload();
    // Reexecute, then wait until the new pmd owns the name and answers.
    void daemon_reexec();
    // pmctl env, reset, report: App.Environment, ResetCounters, Report.
    std::vector<std::string> environment(const std::string& name, uint32_t instance);
    std::vector<std::string> reset_counters(const std::string& name);
    VariantDict report();

private:
    std::string owner_of_name();
    template <typename Call>
    auto call(std::chrono::milliseconds timeout, Call&& c) -> decltype(c());

    BusChoice bus_;
    std::chrono::milliseconds short_call_;  // answers pmd gives at once
    std::chrono::milliseconds long_call_;   // stop, restart, scale, daemon-reload: as long as stops take
    std::unique_ptr<sdbus::IConnection> connection_;
    std::unique_ptr<sdbus::IProxy> manager_;
    std::unique_ptr<ManagerCalls> manager_calls_;
};

}  // namespace pmd
