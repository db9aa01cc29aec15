#include "god/file_watch.h"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "base/error.h"

namespace pmd {
namespace {

// Changes to content and to the directory tree. IN_MODIFY alone would miss renames and
// deletions; IN_CLOSE_WRITE alone would miss writers that keep the file open.
constexpr uint32_t kMask = IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                           IN_DELETE_SELF | IN_MOVE_SELF | IN_EXCL_UNLINK;

}  // namespace

FileWatch::FileWatch(EventLoop& loop, std::string base, const std::vector<std::string>& roots,
                     std::vector<std::string> ignore, std::chrono::milliseconds debounce, Changed changed)
    : loop_(loop),
      base_(std::move(base)),
      ignore_(std::move(ignore)),
      debounce_(debounce),
      changed_(std::move(changed)),
      inotify_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    if (!inotify_) throw Error(Error::Kind::Failed, std::string("cannot create an inotify fd: ") + std::strerror(errno));
    for (const auto& root : roots) {
        struct stat st;
        if (stat(root.c_str(), &st) != 0) {
            spdlog::warn("watch: {} does not exist; not watched", root);
            continue;
        }
        add_tree(root);
    }
    source_ = loop_.add_io(inotify_.get(), EPOLLIN, [this](uint32_t) { on_readable(); });
}

bool FileWatch::ignored(const std::string& path) const {
    if (ignore_.empty()) return false;
    std::string relative = path;
    if (path.rfind(base_ + "/", 0) == 0) relative = path.substr(base_.size() + 1);
    for (const auto& glob : ignore_) {
        if (fnmatch(glob.c_str(), relative.c_str(), 0) == 0 || fnmatch(glob.c_str(), path.c_str(), 0) == 0) return true;
        size_t start = 0;
        while (start <= relative.size()) {
            size_t slash = relative.find('/', start);
            std::string part = relative.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
            if (!part.empty() && fnmatch(glob.c_str(), part.c_str(), 0) == 0) return true;
            if (slash == std::string::npos) break;
            start = slash + 1;
        }
    }
    return false;
}

void FileWatch::add_tree(const std::string& path) {
    if (ignored(path)) return;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return;  // gone again already
    bool dir = S_ISDIR(st.st_mode);
    int wd = inotify_add_watch(inotify_.get(), path.c_str(), kMask | (dir ? IN_ONLYDIR : 0));
    if (wd < 0) {
        // ENOSPC: fs.inotify.max_user_watches is exhausted; say so once per path.
        spdlog::warn("watch: cannot watch {}: {}", path, std::strerror(errno));
        return;
    }
    paths_[wd] = path;
    if (!dir) return;
    DIR* d = opendir(path.c_str());
    if (!d) return;
    while (struct dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        // Symlinks are not followed (a link to / would watch the whole system).
        if (e->d_type == DT_DIR || (e->d_type == DT_UNKNOWN && [&] {
                struct stat s;
                return lstat((path + "/" + name).c_str(), &s) == 0 && S_ISDIR(s.st_mode);
            }()))
            add_tree(path + "/" + name);
    }
    closedir(d);
}

void FileWatch::on_readable() {
    alignas(struct inotify_event) char buf[8192];
    for (;;) {
        ssize_t n = read(inotify_.get(), buf, sizeof buf);
        if (n <= 0) break;
        for (char* p = buf; p < buf + n;) {
            auto* ev = reinterpret_cast<struct inotify_event*>(p);
            p += sizeof(struct inotify_event) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                note_change(base_);  // events were lost: something changed
                continue;
            }
            auto it = paths_.find(ev->wd);
            if (ev->mask & IN_IGNORED) {
                if (it != paths_.end()) paths_.erase(it);
                continue;
            }
            if (it == paths_.end()) continue;
            std::string path = ev->len ? it->second + "/" + ev->name : it->second;
            if (ignored(path)) continue;
            // A new directory is followed; files written into it before its watch existed
            // are covered by the change its creation already is.
            if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO))) add_tree(path);
            note_change(path);
        }
    }
}

void FileWatch::note_change(const std::string& path) {
    if (first_change_.empty()) first_change_ = path;
    uint64_t due = loop_.now_usec() + static_cast<uint64_t>(debounce_.count()) * 1000;
    if (debounce_timer_) {
        debounce_timer_.set_time_usec(due);  // still pending: push the deadline back
        return;
    }
    debounce_timer_ = loop_.add_timer(std::chrono::duration_cast<std::chrono::microseconds>(debounce_), [this] {
        std::string path = std::move(first_change_);
        first_change_.clear();
        debounce_timer_.reset();
        // The handler may restart (or delete) the app that owns this watch: nothing of this
        // object is touched after it.
        auto changed = changed_;
        changed(path);
    });
}

}  // namespace pmd
