// LoopExit, for tests that run an EventLoop on one thread and drive it from another: the
// other thread's "stop the loop now" is an eventfd the loop watches, so the loop wakes for it
// instead of checking a flag on a timer.
#pragma once

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "event/event_loop.h"

namespace pmd {

class LoopExit {
public:
    explicit LoopExit(EventLoop& loop) : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
        watch_ = loop.add_io(fd_.get(), EPOLLIN, [&loop](uint32_t) { loop.exit(0); });
    }
    void signal() {
        uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(fd_.get(), &one, sizeof one);
    }

private:
    UniqueFd fd_;
    EventSource watch_;
};

}  // namespace pmd
