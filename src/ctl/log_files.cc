#include "ctl/log_files.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>
#include <stdexcept>

#include "base/unique_fd.h"

namespace pmd {

std::string log_prefix(const std::string& app, int32_t instance, const std::string& stream, bool color) {
    std::string p = app + "[" + (instance < 0 ? std::string("*") : std::to_string(instance)) + "]";
    if (stream == "err") p += color ? " \033[31merr\033[0m" : " err";
    return p + " | ";
}

namespace {

// The last n lines of the first `end` bytes of an open file.
std::vector<std::string> last_lines_before(int fd, off_t end, size_t n) {
    if (fd < 0 || n == 0) return {};
    std::string tail;  // the bytes from some offset to the end
    off_t pos = end;
    // Read backwards until n+1 newlines (the last byte is usually one) or the file start.
    while (pos > 0) {
        size_t chunk = static_cast<size_t>(std::min<off_t>(pos, 64 * 1024));
        pos -= static_cast<off_t>(chunk);
        std::string buf(chunk, '\0');
        ssize_t r = ::pread(fd, buf.data(), chunk, pos);
        if (r <= 0) break;
        buf.resize(static_cast<size_t>(r));
        tail.insert(0, buf);
        if (static_cast<size_t>(std::count(tail.begin(), tail.end(), '\n')) > n) break;
    }
    std::vector<std::string> lines;
    size_t begin = 0;
    if (pos > 0) {
        // The first piece read starts mid-line: skip it.
        size_t nl = tail.find('\n');
        begin = nl == std::string::npos ? tail.size() : nl + 1;
    }
    for (size_t nl; begin < tail.size(); begin = nl + 1) {
        nl = tail.find('\n', begin);
        if (nl == std::string::npos) nl = tail.size();
        lines.push_back(tail.substr(begin, nl - begin));
    }
    if (lines.size() > n) lines.erase(lines.begin(), lines.end() - static_cast<long>(n));
    return lines;
}

}  // namespace

std::vector<std::string> last_lines(const std::string& path, size_t n) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));  // missing file: no lines yet
    struct stat st{};
    if (!fd || ::fstat(fd.get(), &st) < 0) return {};
    return last_lines_before(fd.get(), st.st_size, n);
}

namespace {

void print_line(const std::string& prefix, std::string_view line, const DateFormat& stamp) {
    std::string out = prefix;
    if (!stamp.empty()) {
        stamp.append(out, std::chrono::system_clock::now());
        out += ' ';
    }
    out += line;
    out += '\n';
    std::cout << out;
}

// One followed file: an open fd at our read offset, and its inode to notice a rotation.
struct Follower {
    FollowedLog log;
    std::string prefix;
    const DateFormat* stamp = nullptr;
    UniqueFd fd;
    ino_t inode = 0;
    off_t offset = 0;
    std::string partial;

    void open_at_end(bool at_end) {
        fd.reset(::open(log.path.c_str(), O_RDONLY | O_CLOEXEC));
        partial.clear();
        inode = 0;
        offset = 0;
        struct stat st{};
        if (fd && ::fstat(fd.get(), &st) == 0) {
            inode = st.st_ino;
            offset = at_end ? st.st_size : 0;
        }
    }
    void drain() {
        if (!fd) return;
        char buf[65536];
        for (;;) {
            ssize_t r = ::pread(fd.get(), buf, sizeof buf, offset);
            if (r <= 0) break;
            offset += r;
            partial.append(buf, static_cast<size_t>(r));
        }
        size_t start = 0;
        for (size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1)
            print_line(prefix, std::string_view(partial).substr(start, nl - start), *stamp);
        partial.erase(0, start);
    }
    void check() {
        drain();
        struct stat st{};
        if (::stat(log.path.c_str(), &st) != 0) return;  // renamed away; its successor comes
        if (st.st_ino != inode) {
            // Rotated: the old file is complete (pmd writes it out before renaming), so what is
            // left of it was drained above; the new file is read from its start.
            open_at_end(false);
            drain();
        } else if (st.st_size < offset) {
            offset = 0;  // truncated (pmctl flush)
            partial.clear();
            drain();
        }
    }
};

}  // namespace

void show_log_files(const std::vector<FollowedLog>& logs, size_t n, bool follow, bool color, const DateFormat& stamp) {
    if (!follow) {
        for (const auto& log : logs) {
            std::string prefix = log_prefix(log.app, log.instance, log.stream, color);
            for (const auto& line : last_lines(log.path, n)) print_line(prefix, line, stamp);
        }
        std::cout.flush();
        return;
    }

    // Following: the directories are watched and every file opened before the last lines are
    // printed, and those lines are read from the same fd up to the offset following starts at.
    // So a line pmd writes while pmctl starts is printed once: it is either in the tail or
    // after the offset, and its write is seen by the watch (or by the first drain below).
    UniqueFd inotify(::inotify_init1(IN_CLOEXEC));
    if (!inotify) throw std::runtime_error(std::string("cannot follow logs: inotify: ") + std::strerror(errno));
    std::vector<Follower> followers;
    std::set<std::string> dirs;
    for (const auto& log : logs) {
        Follower f;
        f.log = log;
        f.prefix = log_prefix(log.app, log.instance, log.stream, color);
        f.stamp = &stamp;
        f.open_at_end(true);
        followers.push_back(std::move(f));
        dirs.insert(std::filesystem::path(log.path).parent_path().string());
    }
    // Watching directories, not files, sees the new file a rotation creates.
    for (const auto& dir : dirs)
        if (::inotify_add_watch(inotify.get(), dir.c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM) < 0)
            throw std::runtime_error("cannot follow logs in " + dir + ": " + std::strerror(errno) +
                                     " (can you read that directory? try as root or a member of the log group)");
    for (const auto& f : followers)
        for (const auto& line : last_lines_before(f.fd.get(), f.offset, n)) print_line(f.prefix, line, stamp);
    for (auto& f : followers) f.check();  // what was written before the watches were added
    std::cout.flush();
    for (;;) {
        pollfd p{inotify.get(), POLLIN, 0};
        if (::poll(&p, 1, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        char events[16384];
        if (::read(inotify.get(), events, sizeof events) < 0 && errno != EAGAIN && errno != EINTR) return;
        for (auto& f : followers) f.check();
        std::cout.flush();
        if (!std::cout) return;  // stdout closed (pmctl logs -f | head)
    }
}

}  // namespace pmd
