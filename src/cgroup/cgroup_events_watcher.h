// CgroupEventsWatcher: tells when a cgroup's cgroup.events file (or another notifying
// interface file such as memory.events) changes (the kernel updates it
// when the cgroup becomes empty or populated), through one inotify fd in the event loop.
// This is how pmd knows that the last process of an instance, grandchildren included, is gone.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/unique_fd.h"
#include "event/event_loop.h"

namespace pmd {

class CgroupEventsWatcher {
public:
    explicit CgroupEventsWatcher(EventLoop& loop);

    // Calls `changed` after each modification of <cgroup_path>/cgroup.events until the returned
    // Watch is destroyed. Callers re-read the file: events coalesce. Several watches of one file
    // each get every change (the kernel gives them one inotify watch).
    class Watch {
    public:
        Watch() = default;
        Watch(Watch&& other) noexcept { *this = std::move(other); }
        Watch& operator=(Watch&& other) noexcept;
        Watch(const Watch&) = delete;
        Watch& operator=(const Watch&) = delete;
        ~Watch() { reset(); }
        void reset();
        explicit operator bool() const { return owner_ != nullptr; }

    private:
        friend class CgroupEventsWatcher;
        CgroupEventsWatcher* owner_ = nullptr;
        int wd_ = -1;
        uint64_t id_ = 0;
    };
    Watch watch(const std::string& cgroup_path, std::function<void()> changed);
    // The same for any cgroup interface file the kernel notifies about (e.g. memory.events).
    Watch watch_file(const std::string& path, std::function<void()> changed);

private:
    void on_readable();

    UniqueFd inotify_;
    EventSource source_;
    // By inotify watch, then by Watch: ordered, so handlers run in the order they were added.
    std::unordered_map<int, std::map<uint64_t, std::function<void()>>> handlers_;
    uint64_t last_id_ = 0;
};

}  // namespace pmd
