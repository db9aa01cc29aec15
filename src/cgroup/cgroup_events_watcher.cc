#include "cgroup/cgroup_events_watcher.h"

#include <sys/inotify.h>

#include <cerrno>
#include <cstring>

#include "base/errno_text.h"
#include "base/error.h"

namespace pmd {

CgroupEventsWatcher::CgroupEventsWatcher(EventLoop& loop)
    : inotify_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    if (!inotify_) throw Error(Error::Kind::Failed, "cannot create an inotify fd: " + errno_text(errno));
    source_ = loop.add_io(inotify_.get(), EPOLLIN, [this](uint32_t) { on_readable(); });
}

CgroupEventsWatcher::Watch CgroupEventsWatcher::watch(const std::string& cgroup_path, std::function<void()> changed) {
    return watch_file(cgroup_path + "/cgroup.events", std::move(changed));
}

CgroupEventsWatcher::Watch CgroupEventsWatcher::watch_file(const std::string& path, std::function<void()> changed) {
    int wd = inotify_add_watch(inotify_.get(), path.c_str(), IN_MODIFY);
    if (wd < 0) throw Error(Error::Kind::Failed, "cannot watch " + path + ": " + std::strerror(errno));
    Watch w;
    w.owner_ = this;
    w.wd_ = wd;
    w.id_ = ++last_id_;
    handlers_[wd][w.id_] = std::move(changed);
    return w;
}

CgroupEventsWatcher::Watch& CgroupEventsWatcher::Watch::operator=(Watch&& other) noexcept {
    if (this != &other) {
        reset();
        owner_ = std::exchange(other.owner_, nullptr);
        wd_ = std::exchange(other.wd_, -1);
        id_ = std::exchange(other.id_, 0);
    }
    return *this;
}

void CgroupEventsWatcher::Watch::reset() {
    if (!owner_) return;
    auto it = owner_->handlers_.find(wd_);
    if (it != owner_->handlers_.end()) {
        it->second.erase(id_);
        if (it->second.empty()) {
            inotify_rm_watch(owner_->inotify_.get(), wd_);
            owner_->handlers_.erase(it);
        }
    }
    owner_ = nullptr;
    wd_ = -1;
}

void CgroupEventsWatcher::on_readable() {
    alignas(struct inotify_event) char buf[4096];
    for (;;) {
        ssize_t n = read(inotify_.get(), buf, sizeof buf);
        if (n <= 0) return;
        for (char* p = buf; p < buf + n;) {
            auto* ev = reinterpret_cast<struct inotify_event*>(p);
            p += sizeof(struct inotify_event) + ev->len;
            if (ev->mask & IN_IGNORED) {
                handlers_.erase(ev->wd);
                continue;
            }
            // Look up before each handler: a handler may remove this or another watch.
            for (uint64_t after = 0;;) {
                auto it = handlers_.find(ev->wd);
                if (it == handlers_.end()) break;
                auto next = it->second.upper_bound(after);
                if (next == it->second.end()) break;
                after = next->first;
                auto handler = next->second;
                handler();
            }
        }
    }
}

}  // namespace pmd
