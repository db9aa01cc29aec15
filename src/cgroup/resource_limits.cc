#include "cgroup/resource_limits.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace pmd {

std::string cpu_max_value(uint32_t percent) {
    constexpr uint64_t period_usec = 100'000;
    if (percent == 0) return "max " + std::to_string(period_usec);
    return std::to_string(period_usec * percent / 100) + " " + std::to_string(period_usec);
}

ResourceLimitOutcome apply_resource_limits(const CgroupDir& dir, const AppSpec& spec) {
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
    return outcome;
}

}  // namespace pmd
