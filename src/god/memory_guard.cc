#include "god/memory_guard.h"

#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "base/error.h"

namespace pmd {
namespace {

// The "high" counter of memory.events: how often the cgroup went over memory.high.
uint64_t high_count(const std::string& cgroup_path) {
    std::ifstream in(cgroup_path + "/memory.events");
    std::string key;
    uint64_t value = 0;
    while (in >> key >> value)
        if (key == "high") return value;
    return 0;
}

uint64_t memory_current(const std::string& cgroup_path) {
    std::ifstream in(cgroup_path + "/memory.current");
    uint64_t value = 0;
    in >> value;
    return value;
}

}  // namespace

std::unique_ptr<MemoryGuard> MemoryGuard::with_cgroup(CgroupEventsWatcher& watcher, const CgroupDir& cgroup,
                                                      uint64_t limit, Over over) {
    std::unique_ptr<MemoryGuard> g(new MemoryGuard(limit, std::move(over)));
    g->cgroup_path_ = cgroup.path();
    if (!cgroup.write_file("memory.high", std::to_string(limit)))
        throw Error(Error::Kind::Failed, "cannot set memory.high in " + cgroup.path());
    g->high_events_ = high_count(g->cgroup_path_);
    MemoryGuard* self = g.get();
    g->watch_ = watcher.watch_file(g->cgroup_path_ + "/memory.events", [self] {
        uint64_t high = high_count(self->cgroup_path_);
        if (high <= self->high_events_) return;  // another counter (low, max, oom) changed
        self->high_events_ = high;
        self->fire(memory_current(self->cgroup_path_));
    });
    return g;
}

std::unique_ptr<MemoryGuard> MemoryGuard::sampling(EventLoop& loop, std::function<uint64_t()> sample, uint64_t limit,
                                                   std::chrono::milliseconds interval, Over over) {
    std::unique_ptr<MemoryGuard> g(new MemoryGuard(limit, std::move(over)));
    g->sample_ = std::move(sample);
    g->arm_sample(loop, interval);
    return g;
}

void MemoryGuard::arm_sample(EventLoop& loop, std::chrono::milliseconds interval) {
    timer_ = loop.add_timer(std::chrono::duration_cast<std::chrono::microseconds>(interval), [this, &loop, interval] {
        uint64_t bytes = sample_();
        if (bytes > limit_) {
            timer_.reset();
            fire(bytes);  // may destroy this guard: nothing after it
            return;
        }
        timer_.set_time_usec(loop.now_usec() + static_cast<uint64_t>(interval.count()) * 1000);
    });
}

void MemoryGuard::fire(uint64_t bytes) {
    if (fired_) return;
    fired_ = true;
    auto over = over_;
    over(bytes);
}

}  // namespace pmd
