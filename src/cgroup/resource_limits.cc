#include "cgroup/resource_limits.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>

#include "base/error.h"
#include "cgroup/block_device.h"

namespace pmd {

std::string cpu_max_value(uint32_t percent) {
    constexpr uint64_t period_usec = 100'000;
    if (percent == 0) return "max " + std::to_string(period_usec);
    return std::to_string(period_usec * percent / 100) + " " + std::to_string(period_usec);
}

std::vector<std::string> io_max_lines(const AppSpec& spec, const std::string& current_io_max, const std::string& sys) {
    struct Caps {
        std::string rbps = "max", wbps = "max";
    };
    std::map<std::string, Caps> disks;
    auto add = [&](const std::vector<IoBandwidth>& limits, const char* key, std::string Caps::*cap) {
        for (const auto& l : limits) {
            std::string why;
            auto disk = whole_disk_of(l.path, why, sys);
            if (!disk) throw Error(Error::Kind::Failed, std::string(key) + " \"" + l.path + "\": " + why);
            disks[*disk].*cap = std::to_string(l.bytes_per_second);
        }
    };
    add(spec.io_read_bandwidth_max, "io_read_bandwidth_max", &Caps::rbps);
    add(spec.io_write_bandwidth_max, "io_write_bandwidth_max", &Caps::wbps);
    // A disk capped by an earlier spec (a reused cgroup) and no more: back to no cap.
    std::istringstream current(current_io_max);
    for (std::string line; std::getline(current, line);) {
        std::string disk = line.substr(0, line.find(' '));
        if (!disk.empty()) disks.try_emplace(disk);
    }
    std::vector<std::string> out;
    for (const auto& [disk, caps] : disks) out.push_back(disk + " rbps=" + caps.rbps + " wbps=" + caps.wbps);
    return out;
}

ResourceLimitOutcome apply_resource_limits(const CgroupDir& dir, const AppSpec& spec, const std::string& sys) {
    ResourceLimitOutcome outcome;
    auto set = [&](const char* file, const char* controller, bool wanted, const std::string& value) {
        // The file exists only when the parent enables the controller for this cgroup.
        if (faccessat(dir.fd(), file, F_OK, 0) != 0) {
            if (wanted) outcome.skipped.push_back(std::string(file) + " (no " + controller + " controller)");
            return;
        }
        if (!dir.write_file(file, value))
            throw Error(Error::Kind::Failed, "cannot write " + value + " to " + dir.path() + "/" + file + ": " +
                                                 std::strerror(errno));
        if (wanted) outcome.applied.push_back(std::string(file) + "=" + value);
    };
    set("memory.max", "memory", spec.memory_max != 0, spec.memory_max ? std::to_string(spec.memory_max) : "max");
    set("pids.max", "pids", spec.pids_max != 0, spec.pids_max ? std::to_string(spec.pids_max) : "max");
    set("cpu.max", "cpu", spec.cpu_max_percent != 0, cpu_max_value(spec.cpu_max_percent));
    set("io.weight", "io", spec.io_weight != 0, "default " + std::to_string(spec.io_weight ? spec.io_weight : 100));
    bool io_capped = !spec.io_read_bandwidth_max.empty() || !spec.io_write_bandwidth_max.empty();
    if (faccessat(dir.fd(), "io.max", F_OK, 0) != 0) {
        if (io_capped) outcome.skipped.push_back("io.max (no io controller)");
    } else {
        // One line per disk: the kernel takes one disk per write.
        for (const auto& line : io_max_lines(spec, dir.read_file("io.max").value_or(""), sys)) {
            if (!dir.write_file("io.max", line))
                throw Error(Error::Kind::Failed, "cannot write " + line + " to " + dir.path() + "/io.max: " +
                                                     std::strerror(errno));
            if (!line.ends_with(" rbps=max wbps=max")) outcome.applied.push_back("io.max=" + line);
        }
    }
    return outcome;
}

}  // namespace pmd
