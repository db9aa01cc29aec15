#include "god/restart_policy.h"

#include <algorithm>

namespace pmd {

RestartPolicy::RestartPolicy(const AppSpec& spec)
    : autorestart_(spec.autorestart),
      restart_delay_(spec.restart_delay),
      backoff_initial_(spec.exp_backoff_restart_delay),
      max_restarts_(spec.max_restarts),
      min_uptime_(spec.min_uptime) {}

RestartDecision RestartPolicy::on_exit(Millis uptime) {
    if (!autorestart_) return {RestartDecision::Action::Stay, Millis{0}, "autorestart is off"};

    // Backoff or not, unstable runs count towards max_restarts, as in PM2 (God.handleExit
    // counts them before it computes any delay).
    if (uptime < min_uptime_) {
        ++unstable_restarts_;
        if (unstable_restarts_ > max_restarts_)
            return {RestartDecision::Action::Errored, Millis{0},
                    "too many unstable restarts (" + std::to_string(max_restarts_) + " runs shorter than min_uptime " +
                        std::to_string(min_uptime_.count()) + "ms)"};
    } else {
        unstable_restarts_ = 0;
    }
    ++restarts_;
    if (backoff_initial_.count() > 0) {
        // PM2's worker resets the delay of an app up longer than EXP_BACKOFF_RESET_TIMER (30 s),
        // whatever min_uptime is.
        if (uptime >= backoff_reset_uptime) backoff_ = Millis{0};
        backoff_ = backoff_.count() == 0
                       ? backoff_initial_
                       : std::min(backoff_cap, Millis{static_cast<int64_t>(backoff_.count() * backoff_factor)});
        return {RestartDecision::Action::Restart, std::max(backoff_, restart_delay_),
                "exponential backoff " + std::to_string(backoff_.count()) + "ms"};
    }
    return {RestartDecision::Action::Restart, restart_delay_,
            restart_delay_.count() ? "restart_delay " + std::to_string(restart_delay_.count()) + "ms" : "autorestart"};
}

void RestartPolicy::reset() {
    unstable_restarts_ = 0;
    backoff_ = Millis{0};
}

}  // namespace pmd
