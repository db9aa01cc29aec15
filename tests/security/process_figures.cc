#include "process_figures.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "base/proc_stat.h"

namespace pmd::test {

size_t open_fd_count(pid_t pid) {
    size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++n;
    return n;
}

uint64_t rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
    return 0;
}

uint64_t cpu_time_usec(pid_t pid) {
    auto stat = read_proc_stat(pid);
    return stat ? stat->cpu_nsec() / 1000 : 0;
}

}  // namespace pmd::test
