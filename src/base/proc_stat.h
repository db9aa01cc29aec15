// ProcStat: the fields pmd needs from /proc/PID/stat, read with one open and one read into a
// stack buffer (no iostreams, no allocation): `pmctl ls` reads one per instance, so this is on
// the hot path. The command name (field 2) may hold spaces and parentheses, so parsing starts
// after the last ')'.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace pmd {

struct ProcStat {
    char state = '?';             // field 3: R, S, D, Z...
    uint64_t utime_ticks = 0;     // field 14
    uint64_t stime_ticks = 0;     // field 15
    uint64_t start_time_ticks = 0;  // field 22: since boot, polkit pairs it with the pid
    uint64_t rss_pages = 0;       // field 24

    // utime + stime.
    uint64_t cpu_nsec() const;
    uint64_t rss_bytes() const;
};

// nullopt when the process is gone or the text is not a stat line.
std::optional<ProcStat> read_proc_stat(pid_t pid);
std::optional<ProcStat> parse_proc_stat(std::string_view text);

}  // namespace pmd
