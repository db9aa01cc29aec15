// Figures of a process read from /proc, for tests that bound what pmd uses: open fds, resident
// memory, CPU time.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace pmd::test {

size_t open_fd_count(pid_t pid);
uint64_t rss_kib(pid_t pid);
// utime + stime in clock ticks turned into microseconds.
uint64_t cpu_time_usec(pid_t pid);

}  // namespace pmd::test
