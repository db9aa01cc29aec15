#include "god/health_check.h"

#include <spdlog/spdlog.h>

namespace pmd {

std::string health_name(Health health) {
    switch (health) {
        case Health::Starting: return "starting";
        case Health::Healthy: return "healthy";
        case Health::Unhealthy: return "unhealthy";
    }
    return "starting";
}

HealthChecker::HealthChecker(EventLoop& loop, const HealthCheck& check, StartProbe start_probe,
                             std::function<void()> changed, std::function<void(const std::string&)> unhealthy)
    : loop_(loop),
      check_(check),
      start_probe_(std::move(start_probe)),
      changed_(std::move(changed)),
      unhealthy_(std::move(unhealthy)),
      alive_(std::make_shared<bool>(true)) {
    // From a later loop iteration: the owner is not yet holding this checker.
    timer_ = loop_.add_timer(std::chrono::microseconds(0), [this] { probe(); });
}

HealthChecker::~HealthChecker() { *alive_ = false; }

void HealthChecker::probe() {
    // The next probe is due an interval after this one started, whatever this one takes; one
    // still running then is abandoned as failed (validation keeps timeout <= interval).
    timer_ = loop_.add_timer(std::chrono::duration_cast<std::chrono::microseconds>(check_.interval), [this] {
        auto alive = alive_;
        if (waiting_) {
            waiting_ = false;
            running_.reset();
            on_result({false, "still running when the next check was due"});
            if (!*alive) return;  // the verdict led to this checker's destruction
        }
        probe();
    });
    waiting_ = true;
    auto alive = alive_;
    auto started = start_probe_([this](ProbeResult result) {
        // Destroying the probe from inside its own report is safe (EventSource), and the
        // probe touches nothing after reporting.
        waiting_ = false;
        running_.reset();
        on_result(std::move(result));
    });
    if (*alive && waiting_) running_ = std::move(started);  // else it answered at once
}

void HealthChecker::on_result(ProbeResult result) {
    last_ = result.message;
    Health before = health_;
    if (result.ok) {
        failures_ = 0;
        health_ = Health::Healthy;
        if (health_ != before) changed_();
        return;
    }
    ++failures_;
    if (failures_ < check_.failures) {
        if (health_ == Health::Healthy) spdlog::info("health check failed ({} of {}): {}", failures_, check_.failures, last_);
        return;
    }
    health_ = Health::Unhealthy;
    if (health_ != before) changed_();
    auto unhealthy = unhealthy_;
    unhealthy("health check failed " + std::to_string(failures_) + " time(s) in a row (" + last_ + ")");
}

}  // namespace pmd
