// HealthChecker: runs one instance's health check (god/health_probe.h) every interval once the
// instance is ready, and keeps its verdict, as Docker does: "starting" until the first probe
// answers, "healthy" after a success, "unhealthy" after `failures` failed probes in a row.
// Each failed probe at or past the threshold calls `unhealthy` (the Manager restarts the
// instance, or waits when a restart would take its app below its capacity floor and asks again
// at the next failure); every change of verdict calls `changed` (for the bus and metrics).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "event/event_loop.h"
#include "spec/app_spec.h"
#include "god/health_probe.h"

namespace pmd {

enum class Health { Starting, Healthy, Unhealthy };
std::string health_name(Health health);

class HealthChecker {
public:
    // Starts one probe of the check; the checker owns what it returns.
    using StartProbe = std::function<std::unique_ptr<Probe>(ProbeDone)>;

    // The first probe runs at once (the instance just became ready), then every interval.
    HealthChecker(EventLoop& loop, const HealthCheck& check, StartProbe start_probe, std::function<void()> changed,
                  std::function<void(const std::string& why)> unhealthy);
    ~HealthChecker();
    HealthChecker(const HealthChecker&) = delete;
    HealthChecker& operator=(const HealthChecker&) = delete;

    Health health() const { return health_; }
    uint32_t failures() const { return failures_; }       // in a row
    const std::string& last_result() const { return last_; }  // "HTTP 200", "connect: Connection refused"
    pid_t probe_pid() const { return running_ ? running_->pid() : 0; }  // see Probe::pid

private:
    void probe();
    void on_result(ProbeResult result);

    EventLoop& loop_;
    HealthCheck check_;
    StartProbe start_probe_;
    std::function<void()> changed_;
    std::function<void(const std::string&)> unhealthy_;
    std::unique_ptr<Probe> running_;
    bool waiting_ = false;  // a probe was started and has not answered
    EventSource timer_;
    Health health_ = Health::Starting;
    uint32_t failures_ = 0;
    std::string last_;
    std::shared_ptr<bool> alive_;  // false once destroyed, for callbacks that may destroy it
};

}  // namespace pmd
