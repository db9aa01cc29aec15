// CgroupEventsWatcher: tells when a cgroup's cgroup.events file (or another notifying
// interface file such as memory.events) changes (the kernel updates it
// when the cgroup becomes empty or populated), through one inotify fd in the event loop.
// This is how pmd knows that the last process of an instance, grandchildren included, is gone.
#pragma once

#include <functional>
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
    // Watch is destroyed. Callers re-read the file: events coalesce.
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
    };
    Watch watch(const std::string& cgroup_path, std::function<void()> changed);
    // The same for any cgroup interface file the kernel notifies about (e.g. memory.events).
    Watch watch_file(const std::string& path, std::function<void()> changed);

private:
    void on_readable();

    UniqueFd inotify_;
    EventSource source_;
    std::unordered_map<int, std::function<void()>> handlers_;
};

}  // namespace pmd
