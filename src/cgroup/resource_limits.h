// memory_max, pids_max, cpu_max_percent, io_weight and io_*_bandwidth_max of an AppSpec written
// to a cgroup (memory.max, pids.max, cpu.max, io.weight, io.max). Where a controller is not enabled for the cgroup its file does not exist:
// that limit is skipped and reported in the result, never an error, because pmd also runs where
// nothing is delegated (see the daemon's start message and `pmctl describe`).
#pragma once

#include <string>
#include <vector>

#include "cgroup/cgroup_dir.h"
#include "spec/app_spec.h"

namespace pmd {

struct ResourceLimitOutcome {
    std::vector<std::string> applied;  // "pids.max=64"
    std::vector<std::string> skipped;  // "pids.max (no pids controller)"
};

// cpu.max for a percentage of one CPU: quota over a 100 ms period, "max" for 0.
std::string cpu_max_value(uint32_t percent);

// The io.max lines for the spec's bandwidth caps, one per whole disk ("254:0 rbps=max
// wbps=2097152"), and "rbps=max wbps=max" for a disk of `current_io_max` (the file's text) that
// the spec no longer caps. Throws Error(Failed) naming the key and path that is on no disk.
std::vector<std::string> io_max_lines(const AppSpec& spec, const std::string& current_io_max,
                                      const std::string& sys = "/sys");

// Writes every non-zero limit and resets a zero one to "max" (io.weight to "default 100"), so
// that a changed spec (restart with new limits) does not keep an old value. Throws
// Error(Failed) if the kernel refuses a value or an io path is on no disk.
ResourceLimitOutcome apply_resource_limits(const CgroupDir& dir, const AppSpec& spec, const std::string& sys = "/sys");

}  // namespace pmd
