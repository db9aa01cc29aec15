#include "cgroup/resource_usage.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "cgroup/cgroup_dir.h"

namespace pmd {
namespace {

// utime + stime of one process in nanoseconds, from /proc/PID/stat fields 14 and 15. The
// command name (field 2) may hold spaces and parentheses, so parsing starts after the last ')'.
uint64_t proc_cpu_nsec(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return 0;
    auto close = line.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(line.substr(close + 2));
    std::string skip;
    for (int i = 3; i < 14; ++i) fields >> skip;
    unsigned long long utime = 0, stime = 0;
    fields >> utime >> stime;
    static const long ticks = sysconf(_SC_CLK_TCK);
    return (utime + stime) * 1'000'000'000ull / static_cast<unsigned long long>(ticks);
}

uint64_t proc_rss_bytes(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
    unsigned long long size = 0, resident = 0;
    in >> size >> resident;
    static const long page = sysconf(_SC_PAGESIZE);
    return resident * static_cast<unsigned long long>(page);
}

}  // namespace

std::string usage_source(bool memory_controller) {
    return memory_controller ? "cgroup (memory.current, cpu.stat)"
                             : "cpu from cgroup cpu.stat; memory summed from /proc/PID/statm "
                               "(no cgroup2 memory controller)";
}

ResourceUsage read_proc_usage(const std::vector<pid_t>& pids) {
    ResourceUsage u;
    for (pid_t pid : pids) {
        u.memory_bytes += proc_rss_bytes(pid);
        u.cpu_usage_nsec += proc_cpu_nsec(pid);
    }
    u.processes = static_cast<uint32_t>(pids.size());
    return u;
}

ResourceUsage read_cgroup_usage(const CgroupDir& dir, bool memory_controller) {
    ResourceUsage u;
    auto pids = dir.procs();
    u.processes = static_cast<uint32_t>(pids.size());
    if (auto stat = dir.read_file("cpu.stat")) {
        auto pos = stat->find("usage_usec ");
        if (pos != std::string::npos) u.cpu_usage_nsec = std::stoull(stat->substr(pos + 11)) * 1000;
    }
    if (memory_controller) {
        if (auto current = dir.read_file("memory.current")) u.memory_bytes = std::stoull(*current);
    } else {
        u.memory_bytes = read_proc_usage(pids).memory_bytes;
    }
    return u;
}

}  // namespace pmd
