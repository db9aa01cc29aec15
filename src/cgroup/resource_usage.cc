#include "cgroup/resource_usage.h"

#include <cstdlib>
#include <sstream>

#include "base/proc_stat.h"
#include "cgroup/cgroup_dir.h"

namespace pmd {

std::string usage_source(bool memory_controller) {
    return memory_controller ? "cgroup (memory.current, cpu.stat)"
                             : "cpu from cgroup cpu.stat; memory summed from /proc/PID/stat "
                               "(no cgroup2 memory controller)";
}

ResourceUsage read_proc_usage(const std::vector<pid_t>& pids) {
    ResourceUsage u;
    // One /proc/PID/stat per process gives both figures (RSS is its field 24).
    for (pid_t pid : pids) {
        if (auto stat = read_proc_stat(pid)) {
            u.memory_bytes += stat->rss_bytes();
            u.cpu_usage_nsec += stat->cpu_nsec();
        }
    }
    u.processes = static_cast<uint32_t>(pids.size());
    return u;
}

uint64_t read_cgroup_cpu_nsec(const CgroupDir& dir) {
    auto stat = dir.read_file("cpu.stat");
    if (!stat) return 0;
    auto pos = stat->find("usage_usec ");
    if (pos == std::string::npos) return 0;
    return std::strtoull(stat->c_str() + pos + 11, nullptr, 10) * 1000;
}

ResourceUsage read_cgroup_usage(const CgroupDir& dir, bool memory_controller) {
    ResourceUsage u;
    auto pids = dir.procs();
    u.processes = static_cast<uint32_t>(pids.size());
    u.cpu_usage_nsec = read_cgroup_cpu_nsec(dir);
    if (memory_controller) {
        if (auto current = dir.read_file("memory.current")) u.memory_bytes = std::stoull(*current);
    } else {
        u.memory_bytes = read_proc_usage(pids).memory_bytes;
    }
    return u;
}

IoUsage parse_io_stat(std::string_view io_stat) {
    // One line per device: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0".
    IoUsage u;
    std::istringstream in{std::string(io_stat)};
    for (std::string word; in >> word;) {
        if (word.starts_with("rbytes=")) u.read_bytes += std::strtoull(word.c_str() + 7, nullptr, 10);
        else if (word.starts_with("wbytes=")) u.write_bytes += std::strtoull(word.c_str() + 7, nullptr, 10);
    }
    return u;
}

std::optional<IoUsage> read_cgroup_io(const CgroupDir& dir) {
    auto stat = dir.read_file("io.stat");
    if (!stat) return std::nullopt;
    return parse_io_stat(*stat);
}

}  // namespace pmd
