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
    if (pending_) return;
    pending_ = true;
    auto now = std::chrono::steady_clock::now();
    // Spaced by 10x its own duration: changes that keep coming (a crash loop across thousands
    // of instances) cost it at most about a tenth of the loop, whatever their rate.
    auto earliest = last_end_ + 10 * last_run_;
    if (now >= earliest) {
        idle_ = loop_.add_defer([this] { flush(); });
        // Below every other source: it runs when the loop has nothing else pending.
        sd_event_source_set_priority(idle_.get(), SD_EVENT_PRIORITY_IDLE);
        earliest = now + max_delay_;
    }
    deadline_ = loop_.add_timer(std::chrono::duration_cast<std::chrono::microseconds>(earliest - now), [this] { flush(); });
    // Not at the bus's priority: its dispatch would run the hook, which runs the task anyway.
    deadline_.set_priority(EventPriority::Normal);
}

void BatchedTask::flush() {
    if (!pending_) return;
    // Reset first: the task may schedule again (a change it makes itself).
    pending_ = false;
    idle_.reset();
    deadline_.reset();
    auto start = std::chrono::steady_clock::now();
    task_();
    last_end_ = std::chrono::steady_clock::now();
    last_run_ = last_end_ - start;
}

}  // namespace pmd
