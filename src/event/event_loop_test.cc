#include "event/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/unique_fd.h"

namespace pmd {
namespace {

void post(const UniqueFd& fd) {
    uint64_t one = 1;
    ASSERT_EQ(::write(fd.get(), &one, sizeof one), static_cast<ssize_t>(sizeof one));
}

void take(const UniqueFd& fd) {
    uint64_t n = 0;
    [[maybe_unused]] ssize_t r = ::read(fd.get(), &n, sizeof n);
}

// Ten pieces of work are pending from the first iteration; the first to run makes the "bus"
// readable. Among equal priorities sd-event runs the sources pending longest first, so the bus
// would come last; at EventPriority::Bus it comes right after the work that was running.
TEST(EventLoopTest, ABusSourceRunsBeforeWorkThatWasPendingLonger) {
    EventLoop loop;
    std::vector<std::string> order;
    constexpr int kWork = 10;
    UniqueFd bus_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    std::vector<UniqueFd> work_fds;
    std::vector<EventSource> work;
    auto done = [&] {
        if (order.size() == kWork + 1) loop.exit(0);
    };
    for (int i = 0; i < kWork; ++i) {
        work_fds.emplace_back(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        post(work_fds.back());
        work.push_back(loop.add_io(work_fds.back().get(), EPOLLIN, [&, i](uint32_t) {
            take(work_fds[static_cast<size_t>(i)]);
            if (order.empty()) post(bus_fd);
            order.push_back("work");
            done();
        }));
    }
    EventSource bus = loop.add_io(bus_fd.get(), EPOLLIN, [&](uint32_t) {
        take(bus_fd);
        order.push_back("bus");
        done();
    });
    bus.set_priority(EventPriority::Bus);
    ASSERT_EQ(loop.run(), 0);
    ASSERT_EQ(order.size(), static_cast<size_t>(kWork + 1));
    EXPECT_EQ(order[1], "bus");
}

}  // namespace
}  // namespace pmd
