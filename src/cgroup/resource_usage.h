// ResourceUsage: memory and CPU of one instance. From the cgroup where the kernel offers it
// (cpu.stat exists in every cgroup2 directory; memory.current only with the memory
// controller), otherwise summed from /proc/PID/stat of the cgroup's processes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
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

}  // namespace pmd
