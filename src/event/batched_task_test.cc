#include "event/batched_task.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <vector>

#include "base/unique_fd.h"

namespace pmd {
namespace {

using namespace std::chrono_literals;

UniqueFd ready_eventfd() {
    UniqueFd fd(::eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK));
    return fd;
}

void take(const UniqueFd& fd) {
    uint64_t n = 0;
    [[maybe_unused]] ssize_t r = ::read(fd.get(), &n, sizeof n);
}

// A hundred changes pending at once (a burst of exits) cost one run, after the last of them.
TEST(BatchedTaskTest, ABurstOfChangesRunsTheTaskOnceAfterIt) {
    EventLoop loop;
    int runs = 0, changes = 0, changes_seen = 0;
    BatchedTask task(loop, [&] { ++runs; changes_seen = changes; loop.exit(0); }, 10s);
    std::vector<UniqueFd> fds;
    std::vector<EventSource> sources;
    for (int i = 0; i < 100; ++i) {
        fds.push_back(ready_eventfd());
        sources.push_back(loop.add_io(fds.back().get(), EPOLLIN, [&, i](uint32_t) {
            take(fds[static_cast<size_t>(i)]);
            ++changes;
            task.schedule();
        }));
    }
    ASSERT_EQ(loop.run(), 0);
    EXPECT_EQ(runs, 1);
    EXPECT_EQ(changes_seen, 100);
}

// A client answered after a change is answered again only once the task has seen the change:
// the bus source runs before the other pending work, and the task before it.
TEST(BatchedTaskTest, TheTaskRunsBeforeTheNextBusDispatch) {
    EventLoop loop;
    std::vector<const char*> order;
    BatchedTask task(loop, [&] { order.push_back("task"); }, 10s);
    UniqueFd change_fd = ready_eventfd(), other_fd = ready_eventfd();
    UniqueFd bus_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    EventSource change = loop.add_io(change_fd.get(), EPOLLIN, [&](uint32_t) {
        take(change_fd);
        order.push_back("change");
        task.schedule();
        uint64_t one = 1;
        [[maybe_unused]] ssize_t r = ::write(bus_fd.get(), &one, sizeof one);
    });
    EventSource other = loop.add_io(other_fd.get(), EPOLLIN, [&](uint32_t) {
        take(other_fd);
        order.push_back("other");
    });
    EventSource bus = loop.add_io(bus_fd.get(), EPOLLIN, [&](uint32_t) {
        take(bus_fd);
        order.push_back("bus");
        loop.exit(0);
    });
    bus.set_priority(EventPriority::Bus);
    ASSERT_EQ(loop.run(), 0);
    ASSERT_GE(order.size(), 3u);
    // "other" may run before "change" (both pending from the start), never between task and bus.
    std::vector<const char*> tail(order.end() - 2, order.end());
    EXPECT_STREQ(tail[0], "task");
    EXPECT_STREQ(tail[1], "bus");
}

// A source that is always readable (an app writing without pause) never lets the loop go idle:
// the task still runs, by its deadline.
TEST(BatchedTaskTest, AnAlwaysBusyLoopStillRunsTheTaskByItsDeadline) {
    EventLoop loop;
    int runs = 0;
    BatchedTask task(loop, [&] { ++runs; loop.exit(0); }, 1ms);
    UniqueFd busy_fd = ready_eventfd();  // never read: readable at every iteration
    bool scheduled = false;
    EventSource busy = loop.add_io(busy_fd.get(), EPOLLIN, [&](uint32_t) {
        if (!scheduled) task.schedule();
        scheduled = true;
    });
    ASSERT_EQ(loop.run(), 0);
    EXPECT_EQ(runs, 1);
}

// A run that took D is not followed by another within 10 D, however idle the loop: changes that
// keep coming cost the task at most about a tenth of the loop.
TEST(BatchedTaskTest, RunsAreSpacedByTenTimesTheirDuration) {
    EventLoop loop;
    using Clock = std::chrono::steady_clock;
    std::vector<std::pair<Clock::time_point, Clock::time_point>> runs;  // start, end
    BatchedTask task(loop, [&] {
        auto start = Clock::now();
        while (Clock::now() - start < 2ms) {
        }
        runs.emplace_back(start, Clock::now());
        if (runs.size() == 2) loop.exit(0);
    }, 1ms);
    EventSource again;
    auto kick = loop.add_defer([&] {
        task.schedule();
        task.flush();
        // The next change comes in the next iteration, with the loop idle otherwise.
        again = loop.add_defer([&] { task.schedule(); });
    });
    ASSERT_EQ(loop.run(), 0);
    ASSERT_EQ(runs.size(), 2u);
    auto first_took = runs[0].second - runs[0].first;
    EXPECT_GE(runs[1].first - runs[0].second, 10 * first_took);
}

}  // namespace
}  // namespace pmd
