// BatchedTask: work that must follow a change but whose cost is the whole state's, not the
// change's (the live file: every app of pmd serialized). Run after each change, a burst of N
// changes over N instances cost N whole-state runs, N^2 in all (a stop of 1,000 instances took
// a minute writing the live file). schedule() marks it wanted; it runs once:
//   - when the loop has nothing else pending (SD_EVENT_PRIORITY_IDLE): a burst costs one run;
//   - before the next dispatch at EventPriority::Bus (event/before_bus.h), so a client
//     answered after a change is answered again only once the task has seen it;
//   - at the latest max_delay after the first schedule() of a burst (a log pipe that is always
//     readable would otherwise starve it): the delay grows to 10x the last run's duration, so
//     the task takes at most about a tenth of the loop while changes keep coming.
#pragma once

#include <chrono>
#include <functional>

#include "event/event_loop.h"

namespace pmd {

class BatchedTask {
public:
    // Installs itself as the loop's before-bus hook (one BatchedTask per loop).
    BatchedTask(EventLoop& loop, std::function<void()> task, std::chrono::microseconds max_delay);
    ~BatchedTask();
    BatchedTask(const BatchedTask&) = delete;
    BatchedTask& operator=(const BatchedTask&) = delete;

    void schedule();
    // Runs the task now if it is wanted.
    void flush();
    bool pending() const { return pending_; }

private:
    EventLoop& loop_;
    std::function<void()> task_;
    std::chrono::microseconds max_delay_;
    bool pending_ = false;
    std::chrono::steady_clock::time_point last_end_;
    std::chrono::steady_clock::duration last_run_{0};
    EventSource idle_;
    EventSource deadline_;
};

}  // namespace pmd
