#include "base/proc_stat.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

#include "base/unique_fd.h"

namespace pmd {

uint64_t ProcStat::cpu_nsec() const {
    static const uint64_t ticks = static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
    return (utime_ticks + stime_ticks) * 1'000'000'000ull / ticks;
}

uint64_t ProcStat::rss_bytes() const {
    static const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    return rss_pages * page;
}

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
    auto close = text.rfind(')');
    if (close == std::string_view::npos || close + 2 >= text.size()) return std::nullopt;
    const char* p = text.data() + close + 2;
    const char* end = text.data() + text.size();
    ProcStat s;
    s.state = *p;
    // Field 3 (state) is where p stands; walk the space-separated fields up to 24.
    for (int field = 3; field <= 24; ++field) {
        while (p < end && *p != ' ') ++p;
        if (field == 24) break;
        if (p >= end) return std::nullopt;
        ++p;
        uint64_t* slot = field + 1 == 14   ? &s.utime_ticks
                         : field + 1 == 15 ? &s.stime_ticks
                         : field + 1 == 22 ? &s.start_time_ticks
                         : field + 1 == 24 ? &s.rss_pages
                                           : nullptr;
        if (slot) {
            // rss may be negative in theory (kernel long); a process never shows that, treat as 0.
            if (std::from_chars(p, end, *slot).ec != std::errc()) *slot = 0;
        }
    }
    return s;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
    char path[32] = "/proc/";
    auto [path_end, ec] = std::to_chars(path + 6, path + sizeof path - 6, static_cast<long>(pid));
    (void)ec;
    std::memcpy(path_end, "/stat", 6);
    UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!fd) return std::nullopt;
    // One line: 52 numbers and a comm of at most 64 bytes fit easily.
    char buf[1024];
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0) return std::nullopt;
    return parse_proc_stat(std::string_view(buf, static_cast<size_t>(n)));
}

}  // namespace pmd
