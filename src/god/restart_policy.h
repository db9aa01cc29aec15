// RestartPolicy: what to do when an instance's last process is gone, with PM2's semantics.
// Pure: it is fed the uptime of the run that ended and answers; the caller owns the clock.
//
//  - autorestart = false: the instance stays stopped after any exit.
//  - A run shorter than min_uptime is "unstable". After max_restarts consecutive unstable
//    runs the instance is errored and left alone (PM2: "too many unstable restarts").
//    A run that lasts min_uptime or longer resets that count.
//  - restart_delay waits before each restart.
//  - exp_backoff_restart_delay (PM2 >= 4.2): the first restart waits that long, each next one
//    1.5 times the previous, capped at 15 s; a run of 30 s or more (PM2's
//    EXP_BACKOFF_RESET_TIMER, not min_uptime) resets the delay. Backoff only spaces restarts
//    out: runs shorter than min_uptime still count, and max_restarts of them still make the
//    instance errored, as in PM2.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "spec/app_spec.h"

namespace pmd {

struct RestartDecision {
    enum class Action { Restart, Stay, Errored };
    Action action = Action::Restart;
    Millis delay{0};
    std::string reason;  // for logs and `describe`: why this action
};

class RestartPolicy {
public:
    static constexpr Millis backoff_cap{15'000};
    static constexpr Millis backoff_reset_uptime{30'000};
    static constexpr double backoff_factor = 1.5;

    explicit RestartPolicy(const AppSpec& spec);

    RestartDecision on_exit(Millis uptime);
    // A start or restart asked for by a person clears the unstable count and the backoff.
    void reset();
    // pmctl reset: the counts shown to people start again from 0, as after a fresh start.
    void reset_counts() {
        reset();
        restarts_ = 0;
    }

    uint32_t restarts() const { return restarts_; }
    uint32_t unstable_restarts() const { return unstable_restarts_; }
    Millis current_backoff() const { return backoff_; }

private:
    bool autorestart_;
    Millis restart_delay_;
    Millis backoff_initial_;
    uint32_t max_restarts_;
    Millis min_uptime_;

    uint32_t restarts_ = 0;
    uint32_t unstable_restarts_ = 0;
    Millis backoff_{0};
};

}  // namespace pmd
