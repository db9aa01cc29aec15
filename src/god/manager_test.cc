// The Manager's decisions with the OS faked at its two seams (god/manager_test_fakes.h).
// Durations are milliseconds on sd-event's real clock; every wait is for an event, with a
// deadline.
#include "god/manager.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <gtest/gtest.h>
#include <systemd/sd-event.h>

#include "god/manager_test_fakes.h"

namespace pmd {
namespace {

using namespace std::chrono_literals;

class ManagerTest : public ::testing::Test {
protected:
    ManagerTest()
        : manager(loop, std::make_unique<FakeScopes>(loop, os), std::make_unique<FakeLauncher>(os), output) {}

    static AppSpec spec(const std::string& name, uint32_t instances = 1) {
        AppSpec s;
        s.name = name;
        s.command = {"/bin/true"};
        s.cwd = "/";
        s.instances = instances;
        s.listen_timeout = 20ms;
        s.kill_timeout = 5000ms;
        return s;
    }

    // Runs the loop until `done` holds; false after the deadline.
    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds deadline = 5000ms) {
        auto end = std::chrono::steady_clock::now() + deadline;
        while (!done()) {
            if (std::chrono::steady_clock::now() > end) return false;
            sd_event_run(loop.get(), 10'000);
        }
        return true;
    }
    // Runs the operation and the loop until it answers.
    std::optional<Error> finish(const std::function<void(Manager::Done)>& operation) {
        bool answered = false;
        std::optional<Error> result;
        operation([&](std::optional<Error> e) {
            answered = true;
            result = e;
        });
        EXPECT_TRUE(run_until([&] { return answered; })) << "no answer within the deadline";
        return result;
    }

    const Instance& instance(const std::string& name, size_t slot = 0) { return *manager.find(name)->instances.at(slot); }
    pid_t pid(const std::string& name, size_t slot = 0) { return instance(name, slot).process.pid(); }
    FakeScope& scope(const std::string& name, size_t slot = 0) {
        return static_cast<FakeScope&>(*instance(name, slot).scope);
    }
    bool ready(const std::string& name) {
        const App* app = manager.find(name);
        return std::all_of(app->instances.begin(), app->instances.end(), [](const auto& i) { return i->ready; });
    }

    EventLoop loop;
    FakeOs os;
    NullOutput output;
    Manager manager;
};

TEST_F(ManagerTest, CrashedInstanceRestartsAndRecordsTheExit) {
    manager.start(spec("web"), getuid());
    pid_t first = pid("web");
    os.exit(first, 3);
    ASSERT_TRUE(run_until([&] { return instance("web").process && pid("web") != first; }));
    EXPECT_EQ(instance("web").restarts, 1u);
    ASSERT_TRUE(instance("web").last_exit);
    EXPECT_EQ(instance("web").last_exit->reason, "exited");
    EXPECT_EQ(instance("web").last_exit->code, 3);
    EXPECT_EQ(manager.find("web")->state(), "online");
}

TEST_F(ManagerTest, ExponentialBackoffWaitsLongerAfterEachCrash) {
    AppSpec s = spec("web");
    s.exp_backoff_restart_delay = 20ms;
    manager.start(s, getuid());
    for (Millis expected : {20ms, 30ms}) {
        pid_t before = pid("web");
        os.exit(before, 1);
        ASSERT_TRUE(run_until([&] { return instance("web").state == InstanceState::WaitingRestart; }));
        EXPECT_EQ(manager.find("web")->state(), "launching");
        EXPECT_EQ(instance("web").policy.current_backoff(), expected);
        ASSERT_TRUE(run_until([&] { return instance("web").process && pid("web") != before; }));
    }
    EXPECT_EQ(instance("web").restarts, 2u);
}

TEST_F(ManagerTest, MaxRestartsOfUnstableRunsMakesTheAppErrored) {
    AppSpec s = spec("web");
    s.max_restarts = 2;
    s.min_uptime = 60'000ms;
    manager.start(s, getuid());
    for (int run = 0; run < 3; ++run) {
        pid_t before = pid("web");
        os.exit(before, 1);
        ASSERT_TRUE(run_until([&] {
            const Instance& i = instance("web");
            return i.state == InstanceState::Errored || (i.process && i.process.pid() != before);
        }));
    }
    EXPECT_EQ(instance("web").state, InstanceState::Errored);
    EXPECT_EQ(manager.find("web")->state(), "errored");
    EXPECT_EQ(instance("web").restarts, 2u);
    EXPECT_EQ(os.launches, 3u);
}

TEST_F(ManagerTest, CleanExitWithoutAutorestartStaysStopped) {
    AppSpec s = spec("job");
    s.autorestart = false;
    manager.start(s, getuid());
    os.exit(pid("job"), 0);
    ASSERT_TRUE(run_until([&] { return instance("job").state == InstanceState::Stopped; }));
    EXPECT_EQ(manager.find("job")->state(), "stopped");
    EXPECT_EQ(os.launches, 1u);
}

TEST_F(ManagerTest, StopSendsStopSignalThenKillsAfterKillTimeout) {
    AppSpec s = spec("stubborn");
    s.kill_timeout = 50ms;
    s.stop_signal = SIGTERM;
    os.ignore_term = true;
    manager.start(s, getuid());
    FakeScope& fake = scope("stubborn");
    EXPECT_FALSE(finish([&](Manager::Done d) { manager.stop("stubborn", d); }));
    EXPECT_EQ(instance("stubborn").state, InstanceState::Stopped);
    EXPECT_EQ(fake.signals, (std::vector<int>{SIGTERM, SIGKILL}));
    EXPECT_EQ(fake.kills, 1);
    ASSERT_TRUE(instance("stubborn").last_exit);
    EXPECT_EQ(instance("stubborn").last_exit->code, SIGKILL);
}

TEST_F(ManagerTest, StopOfAWillingInstanceNeedsNoKill) {
    AppSpec s = spec("web");
    s.stop_signal = SIGTERM;
    manager.start(s, getuid());
    FakeScope& fake = scope("web");
    EXPECT_FALSE(finish([&](Manager::Done d) { manager.stop("web", d); }));
    EXPECT_EQ(fake.signals, std::vector<int>{SIGTERM});
    EXPECT_EQ(fake.kills, 0);
    EXPECT_EQ(manager.find("web")->state(), "stopped");
}

TEST_F(ManagerTest, LeftoverProcessesAreKilledAndWaitedForBeforeTheRestart) {
    os.leave_behind = true;
    manager.start(spec("forker"), getuid());
    os.leave_behind = false;
    pid_t first = pid("forker");
    os.exit(first, 0);
    ASSERT_TRUE(run_until([&] { return instance("forker").process && pid("forker") != first; }));
    EXPECT_EQ(scope("forker").kills, 1);
    EXPECT_EQ(instance("forker").restarts, 1u);
}

TEST_F(ManagerTest, ExplicitRestartReplacesEveryProcess) {
    AppSpec s = spec("web", 2);
    s.stop_signal = SIGTERM;
    manager.start(s, getuid());
    pid_t before[2] = {pid("web", 0), pid("web", 1)};
    EXPECT_FALSE(finish([&](Manager::Done d) { manager.restart("web", d); }));
    for (size_t slot : {0u, 1u}) {
        EXPECT_NE(pid("web", slot), before[slot]);
        EXPECT_EQ(instance("web", slot).restarts, 1u);
    }
    EXPECT_EQ(manager.find("web")->state(), "online");
}

TEST_F(ManagerTest, ReloadReplacesEachSlotOnceItsReplacementIsReady) {
    AppSpec s = spec("web", 2);
    s.stop_signal = SIGTERM;
    manager.start(s, getuid());
    uint64_t old_serials[2] = {instance("web", 0).serial, instance("web", 1).serial};
    bool answered = false;
    std::optional<Error> result;
    manager.reload("web", [&](std::optional<Error> e) {
        answered = true;
        result = e;
    });
    EXPECT_EQ(manager.find("web")->state(), "reloading");
    ASSERT_TRUE(run_until([&] { return answered; }));
    EXPECT_FALSE(result) << result->what();
    for (size_t slot : {0u, 1u}) {
        EXPECT_NE(instance("web", slot).serial, old_serials[slot]);
        EXPECT_TRUE(instance("web", slot).running());
    }
    EXPECT_TRUE(manager.find("web")->incoming.empty());
    EXPECT_EQ(manager.find("web")->state(), "online");
    EXPECT_EQ(os.launches, 4u);
}

// Old and new instances of a cluster app share the listening socket: the old ones are frozen
// before their stop signals and thawed after the last, so none accepts a reconnection between
// two signals.
TEST_F(ManagerTest, ReloadOfAnAppSharingSocketsSignalsTheOldInstancesWhileFrozen) {
    AppSpec s = spec("web", 3);
    s.exec_mode = AppSpec::ExecMode::Cluster;
    s.stop_signal = SIGTERM;
    manager.start(s, getuid());
    ASSERT_TRUE(run_until([&] { return ready("web"); }));
    os.freezer = true;
    ASSERT_FALSE(finish([&](Manager::Done d) { manager.reload("web", d); }));
    std::vector<std::string> term = {"freeze", "freeze", "freeze", "signal 15 frozen", "signal 15 frozen",
                                     "signal 15 frozen", "thaw", "thaw", "thaw"};
    ASSERT_GE(os.journal.size(), term.size());
    EXPECT_EQ(std::vector<std::string>(os.journal.begin(), os.journal.begin() + term.size()), term);
    for (size_t slot : {0u, 1u, 2u}) EXPECT_TRUE(instance("web", slot).running());
}

TEST_F(ManagerTest, ReloadStopsWhenAReplacementNeverSaysReady) {
    AppSpec s = spec("web");
    s.wait_ready = true;
    s.stop_signal = SIGTERM;
    manager.start(s, getuid());
    manager.on_notify(pid("web"), {{"READY", "1"}});
    ASSERT_TRUE(ready("web"));
    uint64_t serving = instance("web").serial;
    auto error = finish([&](Manager::Done d) { manager.reload("web", d); });
    ASSERT_TRUE(error);
    EXPECT_NE(std::string(error->what()).find("did not send READY=1"), std::string::npos) << error->what();
    EXPECT_EQ(instance("web").serial, serving);
    EXPECT_TRUE(instance("web").running());
    EXPECT_TRUE(manager.find("web")->incoming.empty());
    EXPECT_EQ(manager.find("web")->state(), "online");
}

TEST_F(ManagerTest, ReadyMessageFromAStrangerIsIgnored) {
    AppSpec s = spec("web");
    s.wait_ready = true;
    s.listen_timeout = 60'000ms;
    manager.start(s, getuid());
    manager.on_notify(getpid(), {{"READY", "1"}});
    EXPECT_FALSE(ready("web"));
    manager.on_notify(pid("web"), {{"READY", "1"}, {"STATUS", "serving"}});
    EXPECT_TRUE(ready("web"));
    EXPECT_EQ(instance("web").status_text, "serving");
}

TEST_F(ManagerTest, WithoutWaitReadyAnInstanceIsReadyAfterListenTimeout) {
    manager.start(spec("web"), getuid());
    EXPECT_FALSE(ready("web"));
    EXPECT_TRUE(run_until([&] { return ready("web"); }));
}

TEST_F(ManagerTest, ScaleStartsNewSlotsAndStopsSurplusOnes) {
    AppSpec s = spec("web");
    s.stop_signal = SIGTERM;
    manager.start(s, getuid());
    EXPECT_FALSE(finish([&](Manager::Done d) { manager.scale("web", 3, d); }));
    ASSERT_EQ(manager.find("web")->instances.size(), 3u);
    for (size_t slot : {0u, 1u, 2u}) {
        EXPECT_TRUE(instance("web", slot).running());
        EXPECT_EQ(instance("web", slot).index, slot);
    }
    pid_t kept = pid("web", 0);
    EXPECT_FALSE(finish([&](Manager::Done d) { manager.scale("web", 1, d); }));
    ASSERT_EQ(manager.find("web")->instances.size(), 1u);
    EXPECT_EQ(pid("web", 0), kept);
    EXPECT_EQ(manager.find("web")->spec.instances, 1u);
}

TEST_F(ManagerTest, RestartToANewSpecReadsStoppingNotReloading) {
    AppSpec s = spec("web");
    s.stop_signal = SIGTERM;
    manager.start(s, getuid());
    pid_t before = pid("web");
    AppSpec changed = s;
    changed.merge_logs = !s.merge_logs;  // a change a reload cannot apply (god/spec_change.h)
    bool answered = false;
    std::optional<Error> result;
    SpecUpdate how;
    manager.update_spec("web", changed, [&](std::optional<Error> e, SpecUpdate u) {
        answered = true;
        result = e;
        how = u;
    });
    EXPECT_EQ(manager.find("web")->state(), "stopping");
    auto busy = finish([&](Manager::Done d) { manager.scale("web", 2, d); });
    ASSERT_TRUE(busy);
    EXPECT_EQ(busy->kind(), Error::Kind::Busy);
    ASSERT_TRUE(run_until([&] { return answered; }));
    EXPECT_FALSE(result) << result->what();
    EXPECT_EQ(how.how, SpecUpdate::How::Restarted);
    EXPECT_NE(pid("web"), before);
    EXPECT_EQ(manager.find("web")->state(), "online");
}

TEST_F(ManagerTest, ScaleDuringAReloadIsBusy) {
    manager.start(spec("web"), getuid());
    manager.reload("web", [](std::optional<Error>) {});
    auto error = finish([&](Manager::Done d) { manager.scale("web", 2, d); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->kind(), Error::Kind::Busy);
}

TEST_F(ManagerTest, FailedLaunchAtStartLeavesNoApp) {
    os.fail_launch = true;
    EXPECT_THROW(manager.start(spec("broken"), getuid()), Error);
    EXPECT_EQ(manager.find("broken"), nullptr);
}

TEST_F(ManagerTest, RemoveStopsAndForgetsTheApp) {
    AppSpec s = spec("web");
    s.stop_signal = SIGTERM;
    manager.start(s, getuid());
    EXPECT_FALSE(finish([&](Manager::Done d) { manager.remove("web", d); }));
    EXPECT_EQ(manager.find("web"), nullptr);
}

}  // namespace
}  // namespace pmd
