#include "event/batched_task.h"

#include <algorithm>

#include "event/before_bus.h"

namespace pmd {

BatchedTask::BatchedTask(EventLoop& loop, std::function<void()> task, std::chrono::microseconds max_delay)
    : loop_(loop), task_(std::move(task)), max_delay_(max_delay) {
    set_before_bus(loop_, [this] { flush(); });
}

BatchedTask::~BatchedTask() { set_before_bus(loop_, nullptr); }

void BatchedTask::schedule() {
    if (idle_) return;
    idle_ = loop_.add_defer([this] { flush(); });
    // Below every other source: it runs when the loop has nothing else pending.
    sd_event_source_set_priority(idle_.get(), SD_EVENT_PRIORITY_IDLE);
    deadline_ = loop_.add_timer(std::max(max_delay_, 10 * last_run_), [this] { flush(); });
    // Not at the bus's priority: its dispatch would run the hook, which runs the task anyway.
    deadline_.set_priority(EventPriority::Normal);
}

void BatchedTask::flush() {
    if (!idle_) return;
    // Both sources go first: the task may schedule again (a change it makes itself).
    idle_.reset();
    deadline_.reset();
    auto start = std::chrono::steady_clock::now();
    task_();
    last_run_ = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace pmd
