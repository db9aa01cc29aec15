#include "event/loop_relay.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "base/unique_fd.h"
#include "event/loop_exit.h"

namespace pmd {
namespace {

using namespace std::chrono_literals;

// Whether a call() is waiting in the relay, with a deadline: the relay's own count.
bool wait_for_waiting_call(const LoopRelay& relay, std::chrono::milliseconds deadline) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (relay.waiting() == 0) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::yield();
    }
    return true;
}

TEST(LoopRelayTest, CallFromAnotherThreadRunsTheHandlerOnTheLoopThread) {
    EventLoop loop;
    std::thread::id handler_thread;
    LoopRelay relay(loop, [&] {
        handler_thread = std::this_thread::get_id();
        return std::string("text");
    });
    std::optional<std::string> got;
    LoopExit done(loop);
    std::thread caller([&] {
        got = relay.call(10s);
        done.signal();
    });
    loop.run();
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
    ASSERT_TRUE(wait_for_waiting_call(relay, 10s));
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
    LoopExit done(loop);
    std::thread caller([&] {
        got.push_back(relay.call(10s));
        got.push_back(relay.call(10s));
        done.signal();
    });
    loop.run();
    caller.join();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_FALSE(got[0].has_value());
    EXPECT_EQ(got[1], std::optional<std::string>("second"));
}

}  // namespace
}  // namespace pmd
