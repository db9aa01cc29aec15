// ManagerObject: /org/pmd/God1, interfaces org.pmd.God1.Manager and
// org.freedesktop.DBus.ObjectManager (one GetManagedObjects lists every app with its
// properties). It observes the Manager: apps appear and vanish as AppObjects, and changes are
// announced once per loop iteration per app, however many happened in it.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "bus/app_object.h"
#include "bus/figures_clock.h"
#include "event/event_loop.h"
#include "event/heap_trimmer.h"
#include "god/declared_apps.h"
#include "god/manager.h"
#include "pmd-glue/Manager_adaptor.h"

namespace pmd {

class ManagerObject final
    : public sdbus::AdaptorInterfaces<org::pmd::God1::Manager_adaptor, sdbus::ObjectManager_adaptor, sdbus::Properties_adaptor>,
      public ManagerObserver {
public:
    // declared: apps from files (StartFile, Save, Resurrect, DaemonReload); null answers those
    // methods with Failed.
    ManagerObject(sdbus::IConnection& connection, EventLoop& loop, Manager& manager, DeclaredApps* declared = nullptr);
    ~ManagerObject();
    // What Reexecute does once the caller is authorized: checks, then schedules the exec
    // (daemon/main.cc); throws Error(Busy) when it cannot happen now. Unset: Failed.
    void set_reexec(std::function<void()> reexec) { reexec_ = std::move(reexec); }
    // What Report says of the daemon beyond what the Manager knows (manager_object_report.cc).
    struct ReportSources {
        std::string config_path;
        std::string config_text;  // the effective settings (config/daemon_config_text.h)
        std::string bus;          // which bus pmd serves, as its log says it
        std::function<std::vector<std::string>()> recent_log;  // last warnings and errors
    };
    void set_report_sources(ReportSources sources) { report_sources_ = std::move(sources); }

    // ManagerObserver
    void app_added(const App& app) override;
    void app_removed(const std::string& name) override;
    void app_changed(const App& app) override;
    void instance_exited(const App& app, const Instance& instance, const ExitRecord& exit) override;

private:
    sdbus::ObjectPath StartApp(const std::map<std::string, sdbus::Variant>& spec) override;
    void Stop(sdbus::Result<>&& result, std::string name) override;
    void Restart(sdbus::Result<>&& result, std::string name) override;
    void Delete(sdbus::Result<>&& result, std::string name) override;
    void Reload(sdbus::Result<>&& result, std::string name) override;
    void Scale(sdbus::Result<>&& result, std::string name, uint32_t instances) override;
    void Signal(const std::string& name, const int32_t& signal) override;
    std::vector<std::map<std::string, sdbus::Variant>> ListApps() override;
    sdbus::ObjectPath GetApp(const std::string& name) override;
    std::map<std::string, sdbus::Variant> DescribeApp(const std::string& name) override;
    std::string Ping() override;
    std::string Version() override;
    // Logs (manager_object_logs.cc).
    void ReopenLogs() override;
    void Reexecute() override;
    void FlushLogs(const std::string& name) override;
    void publish_figures();
    void send_log_lines(const std::string& app, const std::vector<std::string>& clients, const std::vector<TailLine>& lines,
                        uint64_t skipped);
    // Apps from files (manager_object_config.cc).
    std::vector<sdbus::ObjectPath> StartFile(const std::string& path, const std::string& profile,
                                             const std::vector<std::string>& only) override;
    std::string Save() override;
    std::vector<std::string> Resurrect() override;
    void DaemonReload(sdbus::Result<std::map<std::string, sdbus::Variant>>&& result) override;
    DeclaredApps& declared();
    // pmctl reset and pmctl report (manager_object_report.cc).
    std::vector<std::string> ResetCounters(const std::string& name) override;
    std::map<std::string, sdbus::Variant> Report() override;
    std::string CgroupMode() override;
    std::string CgroupRoot() override;

    void flush_changes();

    sdbus::IConnection& connection_;
    EventLoop& loop_;
    Manager& manager_;
    DeclaredApps* declared_;
    std::function<void()> reexec_;
    ReportSources report_sources_;
    std::map<std::string, std::unique_ptr<AppObject>> objects_;
    std::set<std::string> dirty_;
    EventSource flush_;
    HeapTrimmer trimmer_;  // after changes: their bursts leave the heap at its high-water mark
    FiguresClock figures_clock_;  // 1 s, while watched: AppObject::emit_figures of apps with instances
    LogWatch log_watch_;          // App.WatchLogs: LogLines to the watchers (manager_object_logs.cc)
};

}  // namespace pmd
