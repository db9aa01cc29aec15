// App.Logs, App.WatchLogs and the LogLines signal, as an unprivileged owner on a system-type bus
// with the shipped policy: the owner reads their app's last lines (stdout and stderr apart) and
// receives the next ones, bounded per signal; another user is refused, and gets no lines.
#include <poll.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "bus_as_user.h"
#include "pmd_harness.h"

namespace pmd::test {
namespace {

constexpr const char* kAppInterface = "org.pmd.God1.App";
using BusLine = sdbus::Struct<uint64_t, uint64_t, uint32_t, std::string, std::string>;

std::string app_path(sdbus::IConnection& c, const std::string& name) {
    auto manager = sdbus::createProxy(c, "org.pmd.God1", "/org/pmd/God1");
    sdbus::ObjectPath path;
    manager->callMethod("GetApp").onInterface("org.pmd.God1.Manager").withArguments(name).storeResultsTo(path);
    return path;
}

std::vector<BusLine> logs(sdbus::IProxy& app, const std::string& stream) {
    std::vector<BusLine> lines;
    app.callMethod("Logs").onInterface(kAppInterface).withArguments(stream, uint32_t{0}).storeResultsTo(lines);
    return lines;
}

bool has(const std::vector<BusLine>& lines, const std::string& text) {
    for (const auto& l : lines)
        if (l.get<4>() == text) return true;
    return false;
}

// Dispatches the connection until done() or the deadline; false on the deadline.
bool dispatch_until(sdbus::IConnection& c, const std::function<bool()>& done, std::chrono::seconds deadline = std::chrono::seconds(20)) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (!done()) {
        while (c.processPendingRequest()) {
            if (done()) return true;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        auto pd = c.getEventLoopPollData();
        struct pollfd pfd{pd.fd, static_cast<short>(pd.events), 0};
        int timeout = static_cast<int>(std::min<int64_t>(left.count(), pd.getPollTimeout() < 0 ? left.count() : pd.getPollTimeout()));
        poll(&pfd, 1, std::max(timeout, 1));
    }
    return true;
}

// Polls a condition between dispatches, with a deadline (the app's first lines, read with Logs).
bool poll_until(sdbus::IConnection& c, const std::function<bool()>& done) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
        if (std::chrono::steady_clock::now() > end) return false;
        c.processPendingRequest();
        usleep(20'000);
    }
    return true;
}

class LogsOverTheBus : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root: creates test users and acts as them";
        alice = test_user("pmdtest-alice");
        bob = test_user("pmdtest-bob");
        h = start_pmd_for_several_users();
    }

    // An app of alice's that writes one line to each stream, then `on_usr1` at each SIGUSR1.
    void start_alices_app(const std::string& name, const std::string& on_usr1) {
        VariantDict s;
        s["name"] = sdbus::Variant(name);
        s["command"] = sdbus::Variant(std::vector<std::string>{
            "/bin/sh", "-c", "trap '" + on_usr1 + "' USR1; echo first-out; echo first-err >&2; while :; do sleep 1 & wait $!; done"});
        s["cwd"] = sdbus::Variant(std::string("/tmp"));
        auto r = start_as(alice, h->address(), s);
        ASSERT_TRUE(r.ok) << r.error_name << ": " << r.message;
    }

    std::unique_ptr<PmdHarness> h;
    TestUser alice, bob;
};

TEST_F(LogsOverTheBus, OwnerReadsStreamsApartAndReceivesTheNextLines) {
    start_alices_app("alice-talks", "echo after-watch");
    auto r = call_as(alice, h->address(), [](sdbus::IConnection& c) {
        auto app = sdbus::createProxy(c, "org.pmd.God1", app_path(c, "alice-talks"));
        std::vector<BusLine> received;
        app->uponSignal("LogLines").onInterface(kAppInterface).call([&](const std::vector<BusLine>& lines, uint64_t) {
            received.insert(received.end(), lines.begin(), lines.end());
        });
        app->finishRegistration();
        // first-err is written after the trap is set: from then on SIGUSR1 prints.
        if (!poll_until(c, [&] { return has(logs(*app, "err"), "first-err"); })) return std::string("no first-err in Logs");
        uint32_t lease = 0;
        app->callMethod("WatchLogs").onInterface(kAppInterface).storeResultsTo(lease);
        app->callMethod("Signal").onInterface(kAppInterface).withArguments(int32_t{SIGUSR1});
        if (!dispatch_until(c, [&] { return has(received, "after-watch"); })) return std::string("no LogLines with after-watch");
        std::ostringstream out;
        auto o = logs(*app, "out");
        auto e = logs(*app, "err");
        auto both = logs(*app, "");
        out << "lease=" << lease << " out:" << has(o, "first-out") << has(o, "after-watch") << has(o, "first-err")
            << " err:" << has(e, "first-err") << has(e, "first-out") << " both=" << both.size()
            << " stream=" << received.back().get<3>() << " instance=" << received.back().get<2>();
        app->callMethod("UnwatchLogs").onInterface(kAppInterface);
        return out.str();
    });
    ASSERT_TRUE(r.ok) << r.error_name << ": " << r.message;
    EXPECT_EQ(r.message, "lease=60 out:110 err:10 both=3 stream=out instance=0");
}

TEST_F(LogsOverTheBus, AnotherUserIsRefusedBothMethods) {
    start_alices_app("alice-private", "echo secret");
    ASSERT_TRUE(h->wait_until([&] { return !h->instances("alice-private").empty(); }));
    for (const char* method : {"Logs", "WatchLogs"}) {
        auto r = call_as(bob, h->address(), [&](sdbus::IConnection& c) {
            auto app = sdbus::createProxy(c, "org.pmd.God1", app_path(c, "alice-private"));
            if (std::string(method) == "Logs") logs(*app, "");
            else app->callMethod("WatchLogs").onInterface(kAppInterface);
            return std::string("answered");
        });
        EXPECT_EQ(r.error_name, "org.pmd.God1.Error.AccessDenied") << method << ": " << r.message;
        EXPECT_NE(r.message.find("alice-private"), std::string::npos) << r.message;
    }
}

// One byte through a pipe between the two users' processes (both forked from this one): the
// order of their steps. False if none came before the deadline.
bool await_byte(int fd, int seconds = 20) {
    struct pollfd pfd{fd, POLLIN, 0};
    char b;
    return poll(&pfd, 1, seconds * 1000) == 1 && read(fd, &b, 1) == 1;
}

// LogLines is sent to the watcher alone: another user's connection that asks the bus for every
// LogLines of the app (a match rule, and one with eavesdrop='true') gets none of the lines
// the owner receives. Bob's rules are in place before alice watches; once alice has her
// signal, bob pings pmd through the same bus: a copy of the signal, sent by pmd before the
// reply, would be in bob's queue ahead of it, so nothing in the queue after the reply means
// none was sent to bob.
TEST_F(LogsOverTheBus, AnotherUsersMatchRuleGetsNoLogLines) {
    start_alices_app("alice-watched", "echo for-alice-only");
    int ready[2], done[2];
    ASSERT_EQ(pipe(ready), 0);
    ASSERT_EQ(pipe(done), 0);
    BusOutcome bobs;
    std::thread bob_side([&] {
        bobs = call_as(bob, h->address(), [&](sdbus::IConnection& c) {
            std::string rule = "type='signal',interface='" + std::string(kAppInterface) + "',member='LogLines',path='" +
                               app_path(c, "alice-watched") + "'";
            int caught = 0;
            auto plain = c.addMatch(rule, [&](sdbus::Message&) { ++caught; });
            std::string eavesdrop = "accepted";
            sdbus::Slot eavesdropping;
            try {
                eavesdropping = c.addMatch(rule + ",eavesdrop='true'", [&](sdbus::Message&) { ++caught; });
            } catch (const sdbus::Error& e) {
                eavesdrop = e.getName();
            }
            if (write(ready[1], "r", 1) != 1) return std::string("cannot tell alice");
            if (!await_byte(done[0])) return std::string("alice never received her lines");
            auto pmd = sdbus::createProxy(c, "org.pmd.God1", "/org/pmd/God1");
            pmd->callMethod("Ping").onInterface("org.freedesktop.DBus.Peer");
            while (c.processPendingRequest()) {
            }
            return "caught=" + std::to_string(caught) + " (eavesdrop rule: " + eavesdrop + ")";
        });
    });
    auto alices = call_as(alice, h->address(), [&](sdbus::IConnection& c) {
        auto app = sdbus::createProxy(c, "org.pmd.God1", app_path(c, "alice-watched"));
        std::vector<BusLine> received;
        app->uponSignal("LogLines").onInterface(kAppInterface).call([&](const std::vector<BusLine>& lines, uint64_t) {
            received.insert(received.end(), lines.begin(), lines.end());
        });
        app->finishRegistration();
        if (!poll_until(c, [&] { return has(logs(*app, "err"), "first-err"); })) return std::string("no first-err in Logs");
        if (!await_byte(ready[0])) return std::string("bob's match rules never came");
        app->callMethod("WatchLogs").onInterface(kAppInterface);
        app->callMethod("Signal").onInterface(kAppInterface).withArguments(int32_t{SIGUSR1});
        bool got = dispatch_until(c, [&] { return has(received, "for-alice-only"); });
        if (write(done[1], "d", 1) != 1) return std::string("cannot tell bob");
        return std::string(got ? "received" : "no LogLines with for-alice-only");
    });
    bob_side.join();
    for (int fd : {ready[0], ready[1], done[0], done[1]}) close(fd);
    ASSERT_TRUE(alices.ok) << alices.error_name << ": " << alices.message;
    EXPECT_EQ(alices.message, "received");
    ASSERT_TRUE(bobs.ok) << bobs.error_name << ": " << bobs.message;
    EXPECT_EQ(bobs.message.rfind("caught=0 ", 0), 0u) << bobs.message;
    std::cout << "bob: " << bobs.message << "\n";
}

// A burst far larger than one signal: no signal carries more than 100 lines, and what was left
// out is counted, so lines + skipped account for every line of the burst.
TEST_F(LogsOverTheBus, SignalsAreBoundedAndCountWhatTheyLeaveOut) {
    constexpr int kBurst = 20000;
    start_alices_app("alice-chatty", "seq 1 " + std::to_string(kBurst) + "; echo burst-done");
    auto r = call_as(alice, h->address(), [&](sdbus::IConnection& c) {
        auto app = sdbus::createProxy(c, "org.pmd.God1", app_path(c, "alice-chatty"));
        uint64_t lines = 0, skipped = 0, signals = 0, largest = 0;
        bool done = false;
        app->uponSignal("LogLines").onInterface(kAppInterface).call([&](const std::vector<BusLine>& l, uint64_t s) {
            ++signals;
            lines += l.size();
            skipped += s;
            largest = std::max<uint64_t>(largest, l.size());
            if (has(l, "burst-done")) done = true;
        });
        app->finishRegistration();
        if (!poll_until(c, [&] { return has(logs(*app, "err"), "first-err"); })) return std::string("no first-err in Logs");
        app->callMethod("WatchLogs").onInterface(kAppInterface);
        app->callMethod("Signal").onInterface(kAppInterface).withArguments(int32_t{SIGUSR1});
        // burst-done may itself be among the skipped: then the count reaches the total anyway.
        if (!dispatch_until(c, [&] { return done || lines + skipped >= kBurst + 1; }))
            return "lines=" + std::to_string(lines) + " skipped=" + std::to_string(skipped) + " (deadline)";
        // How many signals the burst took depends on how fast it came: not asserted.
        (void)signals;
        return "largest<=100:" + std::to_string(largest <= 100) + " total=" + std::to_string(lines + skipped) +
               " skipped>0:" + std::to_string(skipped > 0);
    });
    ASSERT_TRUE(r.ok) << r.error_name << ": " << r.message;
    EXPECT_EQ(r.message, "largest<=100:1 total=" + std::to_string(kBurst + 1) + " skipped>0:1");
}

}  // namespace
}  // namespace pmd::test
