#include "god/restart_policy.h"

#include <gtest/gtest.h>

using namespace std::chrono_literals;

namespace pmd {

using Action = RestartDecision::Action;

TEST(RestartPolicy, RestartsImmediatelyByDefault) {
    RestartPolicy p(AppSpec{});
    auto d = p.on_exit(5s);
    EXPECT_EQ(d.action, Action::Restart);
    EXPECT_EQ(d.delay, 0ms);
    EXPECT_EQ(p.restarts(), 1u);
}

TEST(RestartPolicy, NoAutorestartStays) {
    AppSpec s;
    s.autorestart = false;
    RestartPolicy p(s);
    EXPECT_EQ(p.on_exit(5s).action, Action::Stay);
    EXPECT_EQ(p.restarts(), 0u);
}

TEST(RestartPolicy, RestartDelayApplies) {
    AppSpec s;
    s.restart_delay = 250ms;
    RestartPolicy p(s);
    EXPECT_EQ(p.on_exit(5s).delay, 250ms);
}

TEST(RestartPolicy, UnstableRunsEndInErroredAfterMaxRestarts) {
    AppSpec s;
    s.max_restarts = 3;
    s.min_uptime = 1s;
    RestartPolicy p(s);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(p.on_exit(10ms).action, Action::Restart) << i;
    auto d = p.on_exit(10ms);
    EXPECT_EQ(d.action, Action::Errored);
    EXPECT_NE(d.reason.find("too many unstable restarts"), std::string::npos);
    EXPECT_EQ(p.restarts(), 3u);
}

TEST(RestartPolicy, StableRunResetsUnstableCount) {
    AppSpec s;
    s.max_restarts = 2;
    s.min_uptime = 1s;
    RestartPolicy p(s);
    p.on_exit(10ms);
    p.on_exit(10ms);
    EXPECT_EQ(p.unstable_restarts(), 2u);
    p.on_exit(2s);
    EXPECT_EQ(p.unstable_restarts(), 0u);
    EXPECT_EQ(p.on_exit(10ms).action, Action::Restart);
}

TEST(RestartPolicy, ExponentialBackoffGrowsByHalfAndCaps) {
    AppSpec s;
    s.exp_backoff_restart_delay = 100ms;
    s.max_restarts = 100;
    RestartPolicy p(s);
    EXPECT_EQ(p.on_exit(10ms).delay, 100ms);
    EXPECT_EQ(p.on_exit(10ms).delay, 150ms);
    EXPECT_EQ(p.on_exit(10ms).delay, 225ms);
    for (int i = 0; i < 30; ++i) p.on_exit(10ms);
    EXPECT_EQ(p.on_exit(10ms).delay, RestartPolicy::backoff_cap);
}

TEST(RestartPolicy, BackoffStillErrorsAfterMaxRestartsUnstableRuns) {
    AppSpec s;
    s.exp_backoff_restart_delay = 100ms;
    s.max_restarts = 2;
    RestartPolicy p(s);
    EXPECT_EQ(p.on_exit(10ms).action, Action::Restart);
    EXPECT_EQ(p.on_exit(10ms).action, Action::Restart);
    EXPECT_EQ(p.on_exit(10ms).action, Action::Errored);
}

TEST(RestartPolicy, BackoffResetsAfter30sNotAfterMinUptime) {
    AppSpec s;
    s.exp_backoff_restart_delay = 100ms;
    s.min_uptime = 1s;
    RestartPolicy p(s);
    p.on_exit(10ms);
    p.on_exit(10ms);
    EXPECT_EQ(p.on_exit(5s).delay, 225ms);  // stable (over min_uptime), but not 30 s: still backing off
}

TEST(RestartPolicy, BackoffResetsAfterLongRun) {
    AppSpec s;
    s.exp_backoff_restart_delay = 100ms;
    RestartPolicy p(s);
    p.on_exit(10ms);
    p.on_exit(10ms);
    EXPECT_EQ(p.on_exit(31s).delay, 100ms);
}

TEST(RestartPolicy, ManualResetClearsCounters) {
    AppSpec s;
    s.exp_backoff_restart_delay = 100ms;
    RestartPolicy p(s);
    p.on_exit(10ms);
    p.on_exit(10ms);
    p.reset();
    EXPECT_EQ(p.on_exit(10ms).delay, 100ms);
}

}  // namespace pmd
