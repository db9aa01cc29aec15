// AppObject: /org/pmd/God1/app/<escaped name>, interface org.pmd.God1.App. It holds no state
// of its own: getters read the App from the Manager, methods call the Manager. Its lifetime is
// the app's: created on AppAdded, destroyed on AppRemoved (InterfacesAdded/Removed follow).
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <string>

#include "bus/figures_clock.h"
#include "bus/log_watch.h"
#include "god/manager.h"
#include "pmd-glue/App_adaptor.h"

namespace pmd {

std::string app_object_path(const std::string& name);

// The a{sv} of one instance, shared by the Instances property and ListApps.
std::map<std::string, sdbus::Variant> instance_dict(Manager& manager, const App& app, const Instance& instance);
std::vector<std::map<std::string, sdbus::Variant>> instance_dicts(Manager& manager, const App& app);

class AppObject final
    : public sdbus::AdaptorInterfaces<org::pmd::God1::App_adaptor, sdbus::ManagedObject_adaptor, sdbus::Properties_adaptor> {
public:
    // clock: told when a client reads Figures (FiguresClock), so announcements run only then.
    // logs: who watches the app's output (LogWatch).
    AppObject(sdbus::IConnection& connection, Manager& manager, FiguresClock& clock, LogWatch& logs, std::string name);
    ~AppObject();

    // Announces State, Restarts, Pids and (invalidated) Instances.
    void emit_changed();
    // The org.pmd.God1.App properties as one dictionary (what GetAll returns), for DescribeApp.
    std::map<std::string, sdbus::Variant> properties();
    // Announces Figures and DroppedLines with their values (app_object_logs.cc); the manager
    // object calls it once a second while someone watches (FiguresClock).
    void emit_figures();
    // One LogLines signal to each client (app_object_logs.cc).
    void emit_log_lines(const std::vector<std::string>& clients, const std::vector<TailLine>& lines, uint64_t skipped);

private:
    const App& app() const;

    void Stop(sdbus::Result<>&& result) override;
    void Restart(sdbus::Result<>&& result) override;
    void Delete(sdbus::Result<>&& result) override;
    void Reload(sdbus::Result<>&& result) override;
    void Scale(sdbus::Result<>&& result, uint32_t instances) override;
    void Signal(const int32_t& signal) override;
    std::vector<std::string> Environment(const uint32_t& instance) override;
    void ResetCounters() override;
    std::string Name() override { return name_; }
    std::string State() override;
    std::string User() override;
    uint32_t Owner() override;
    uint32_t Restarts() override;
    std::vector<int32_t> Pids() override;
    std::vector<std::map<std::string, sdbus::Variant>> Instances() override;
    std::map<std::string, sdbus::Variant> Spec() override;
    std::string CgroupPath() override;
    std::string StatsSource() override;
    std::vector<std::string> Warnings() override;
    uint64_t NextCronRestart() override;
    // Logs and figures (app_object_logs.cc).
    std::vector<sdbus::Struct<std::string, int32_t, std::string>> LogFiles() override;
    std::vector<std::string> LogSinks() override;
    uint64_t DroppedLines() override;
    std::vector<std::map<std::string, sdbus::Variant>> Figures() override;
    std::vector<sdbus::Struct<uint64_t, uint64_t, uint32_t, std::string, std::string>> Logs(const std::string& stream,
                                                                                           const uint32_t& count) override;
    uint32_t WatchLogs() override;
    void UnwatchLogs() override;

    Manager& manager_;
    FiguresClock& figures_clock_;
    LogWatch& log_watch_;
    std::string name_;
};

// Completes an async method call from a Manager::Done (Result is move-only).
Manager::Done reply_when_done(sdbus::Result<>&& result);

}  // namespace pmd
