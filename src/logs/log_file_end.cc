#include "logs/log_file_end.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/error.h"
#include "base/unique_fd.h"

namespace pmd {

std::optional<LogFileEnd> read_log_file_end(const std::string& path, const std::optional<FsIdentity>& as,
                                            size_t max_lines, size_t max_bytes) {
    // O_NONBLOCK: a FIFO named as out_file must not hold pmd up (it is refused just below).
    int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    if (as) flags |= O_NOFOLLOW;
    UniqueFd fd;
    try {
        ScopedFsIdentity as_owner(as);
        fd.reset(::open(path.c_str(), flags));
    } catch (const Error&) {
        return std::nullopt;
    }
    struct stat st{};
    // Only a regular file: reading a FIFO or a socket would take lines from whoever reads it.
    if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    LogFileEnd end;
    end.mtime = std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
    auto size = static_cast<size_t>(st.st_size);
    size_t start = size > max_bytes ? size - max_bytes : 0;
    // One byte before the window too: a newline there means the window's first line is whole.
    size_t from = start > 0 ? start - 1 : 0;
    std::string buf(size - from, '\0');
    size_t got = 0;
    while (got < buf.size()) {
        ssize_t n = ::pread(fd.get(), buf.data() + got, buf.size() - got, static_cast<off_t>(from + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // shorter than fstat said (truncated meanwhile): what was read
        got += static_cast<size_t>(n);
    }
    buf.resize(got);
    size_t pos = 0;
    if (start > 0) {
        size_t nl = buf.find('\n');
        pos = nl == std::string::npos ? buf.size() : nl + 1;  // byte 0 is the one before: '\n' keeps line 1
    }
    while (pos < buf.size()) {
        size_t nl = buf.find('\n', pos);
        if (nl == std::string::npos) nl = buf.size();
        end.lines.emplace_back(buf, pos, nl - pos);
        pos = nl + 1;
    }
    if (end.lines.size() > max_lines)
        end.lines.erase(end.lines.begin(), end.lines.end() - static_cast<std::ptrdiff_t>(max_lines));
    return end;
}

}  // namespace pmd
