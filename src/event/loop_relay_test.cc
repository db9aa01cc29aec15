#include "event/loop_relay.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace pmd {
namespace {

using namespace std::chrono_literals;

// Runs the loop until `done` is set by another thread (checked every millisecond).
void run_until(EventLoop& loop, const std::atomic<bool>& done) {
    EventSource check_timer;
    std::function<void()> check = [&] {
        if (done) loop.exit(0);
        else check_timer = loop.add_timer(1ms, check);
    };
    check();
    loop.run();
}

TEST(LoopRelayTest, CallFromAnotherThreadRunsTheHandlerOnTheLoopThread) {
    EventLoop loop;
    std::thread::id handler_thread;
    LoopRelay relay(loop, [&] {
        handler_thread = std::this_thread::get_id();
        return std::string("text");
    });
    std::optional<std::string> got;
    std::atomic<bool> done{false};
    std::thread caller([&] {
        got = relay.call(10s);
        done = true;
    });
    run_until(loop, done);
    caller.join();
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, "text");
    EXPECT_EQ(handler_thread, std::this_thread::get_id());
}

TEST(LoopRelayTest, CallTimesOutWhenTheLoopDoesNotAnswer) {
    EventLoop loop;
    LoopRelay relay(loop, [] { return std::string("never"); });
    auto start = std::chrono::steady_clock::now();
    std::optional<std::string> got;
    std::thread caller([&] { got = relay.call(50ms); });
    caller.join();  // the loop never runs
    EXPECT_FALSE(got.has_value());
    EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
}

TEST(LoopRelayTest, CloseWakesAWaitingCallAndRefusesLaterOnes) {
    EventLoop loop;
    LoopRelay relay(loop, [] { return std::string("never"); });
    auto start = std::chrono::steady_clock::now();
    std::optional<std::string> got = std::string("unset");
    std::thread caller([&] { got = relay.call(30s); });
    std::this_thread::sleep_for(20ms);  // usually waiting by now; if not, it finds the relay closed
    relay.close();
    caller.join();
    EXPECT_FALSE(got.has_value());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    EXPECT_FALSE(relay.call(30s).has_value());
}

TEST(LoopRelayTest, AHandlerThatThrowsAnswersNothingAndTheLoopGoesOn) {
    EventLoop loop;
    int runs = 0;
    LoopRelay relay(loop, [&]() -> std::string {
        if (++runs == 1) throw std::runtime_error("boom");
        return "second";
    });
    std::vector<std::optional<std::string>> got;
    std::atomic<bool> done{false};
    std::thread caller([&] {
        got.push_back(relay.call(10s));
        got.push_back(relay.call(10s));
        done = true;
    });
    run_until(loop, done);
    caller.join();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_FALSE(got[0].has_value());
    EXPECT_EQ(got[1], std::optional<std::string>("second"));
}

}  // namespace
}  // namespace pmd
