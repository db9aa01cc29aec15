// FileWatch: `watch` for one app. inotify on every directory under the watched roots (new
// directories are followed as they appear), one fd in the event loop, and a trailing debounce:
// `changed` runs once `debounce` has passed without a further change, so a burst (a git
// checkout, an editor's save-rename dance, a build writing 50 files) is one restart.
//
// ignore_watch entries are fnmatch(3) globs without FNM_PATHNAME, matched against the path
// relative to the base directory ("logs/*.log", "dist/*") and against each path component
// ("node_modules", "*.tmp", ".git"); an ignored directory is not descended into.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/unique_fd.h"
#include "event/event_loop.h"

namespace pmd {

class FileWatch {
public:
    // Called with the first path that changed since the last call.
    using Changed = std::function<void(const std::string& path)>;

    // roots are absolute (files or directories); base is what ignore globs are relative to.
    // Throws Error(Failed) if inotify is unavailable; roots that do not exist are skipped with
    // a warning (they are not created later: watch their parent instead).
    FileWatch(EventLoop& loop, std::string base, const std::vector<std::string>& roots,
              std::vector<std::string> ignore, std::chrono::milliseconds debounce, Changed changed);
    FileWatch(const FileWatch&) = delete;
    FileWatch& operator=(const FileWatch&) = delete;

    size_t watched() const { return paths_.size(); }
    bool ignored(const std::string& path) const;

private:
    void add_tree(const std::string& path);
    void on_readable();
    void note_change(const std::string& path);

    EventLoop& loop_;
    std::string base_;
    std::vector<std::string> ignore_;
    std::chrono::milliseconds debounce_;
    Changed changed_;
    UniqueFd inotify_;
    EventSource source_;
    EventSource debounce_timer_;
    std::unordered_map<int, std::string> paths_;  // watch descriptor -> watched path
    std::string first_change_;
};

}  // namespace pmd
