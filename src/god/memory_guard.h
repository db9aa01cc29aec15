// MemoryGuard: max_memory_restart for one instance. It calls `over` once when the instance's
// memory exceeds the limit; the Manager then restarts the instance (last exit reason "memory").
//
// With the cgroup2 memory controller the kernel tells us: memory.high is set to the limit, and
// each time the instance goes over it the "high" counter of memory.events grows, which inotify
// reports (the file is modified). No timer runs. memory.high also makes the kernel reclaim and
// throttle the instance at the limit, so it cannot run far past it before the restart.
//
// Without the memory controller (process-group mode, or a host that delegates none, like this
// dev machine) there is no event to wait for: memory is sampled from /proc every
// kSampleInterval (1 s), PM2's own check interval being 30 s.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "cgroup/cgroup_dir.h"
#include "cgroup/cgroup_events_watcher.h"
#include "event/event_loop.h"

namespace pmd {

class MemoryGuard {
public:
    using Over = std::function<void(uint64_t bytes)>;
    static constexpr std::chrono::milliseconds kSampleInterval{1000};

    // Event-driven: writes memory.high on `cgroup` and watches its memory.events. Throws
    // Error(Failed) if the files cannot be written or watched.
    static std::unique_ptr<MemoryGuard> with_cgroup(CgroupEventsWatcher& watcher, const CgroupDir& cgroup,
                                                    uint64_t limit, Over over);
    // Sampling: `sample` returns the instance's memory in bytes, called every `interval`.
    static std::unique_ptr<MemoryGuard> sampling(EventLoop& loop, std::function<uint64_t()> sample, uint64_t limit,
                                                 std::chrono::milliseconds interval, Over over);

    MemoryGuard(const MemoryGuard&) = delete;
    MemoryGuard& operator=(const MemoryGuard&) = delete;

private:
    MemoryGuard(uint64_t limit, Over over) : limit_(limit), over_(std::move(over)) {}
    void fire(uint64_t bytes);
    void arm_sample(EventLoop& loop, std::chrono::milliseconds interval);

    uint64_t limit_;
    Over over_;
    bool fired_ = false;
    // cgroup mode
    std::string cgroup_path_;
    uint64_t high_events_ = 0;
    CgroupEventsWatcher::Watch watch_;
    // sampling mode
    std::function<uint64_t()> sample_;
    EventSource timer_;
};

}  // namespace pmd
