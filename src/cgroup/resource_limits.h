// memory_max, pids_max and cpu_max_percent of an AppSpec written to a cgroup (memory.max,
// pids.max, cpu.max). Where a controller is not enabled for the cgroup its file does not exist:
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

// Writes every non-zero limit and resets a zero one to "max", so that a changed spec (restart
// with new limits) does not keep an old value. Throws Error(Failed) if the kernel refuses a value.
ResourceLimitOutcome apply_resource_limits(const CgroupDir& dir, const AppSpec& spec);

}  // namespace pmd
