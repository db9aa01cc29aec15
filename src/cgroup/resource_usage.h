// ResourceUsage: memory and CPU of one instance. From the cgroup where the kernel offers it
// (cpu.stat exists in every cgroup2 directory; memory.current only with the memory
// controller), otherwise summed from /proc/PID/stat of the cgroup's processes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pmd {

class CgroupDir;

struct ResourceUsage {
    uint64_t memory_bytes = 0;
    uint64_t cpu_usage_nsec = 0;
    uint32_t processes = 0;
};

// Where the figures of read_usage come from, for `pmctl describe`.
std::string usage_source(bool memory_controller);

ResourceUsage read_cgroup_usage(const CgroupDir& dir, bool memory_controller);
// cpu.stat's usage_usec in nanoseconds (0 when unreadable): what the cgroup's processes, past
// and present, have used.
uint64_t read_cgroup_cpu_nsec(const CgroupDir& dir);
ResourceUsage read_proc_usage(const std::vector<pid_t>& pids);

// Bytes the cgroup's processes, past and present, read from and wrote to block devices:
// io.stat's rbytes and wbytes summed over its devices. Page-cache hits and writes not yet
// written back are not there (the kernel counts at the block layer).
struct IoUsage {
    uint64_t read_bytes = 0;
    uint64_t write_bytes = 0;
};
IoUsage parse_io_stat(std::string_view io_stat);
// nullopt when the cgroup has no io.stat: the io controller is not enabled for it, and no
// figure is better than a 0 that reads as "no io".
std::optional<IoUsage> read_cgroup_io(const CgroupDir& dir);
// Why read_cgroup_io has no figure, for `pmctl describe`.
inline constexpr const char* kIoUnavailable = "not available (no io.stat: the io controller is not enabled for the cgroup)";

}  // namespace pmd
