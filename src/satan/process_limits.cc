#include "satan/process_limits.h"

#include <sys/resource.h>

#include <spdlog/spdlog.h>

#include "cgroup/resource_limits.h"

namespace pmd {

void apply_process_limits(const AppSpec& spec, SpawnRequest& request) {
    request.umask = static_cast<mode_t>(spec.umask & 0777);
    request.no_new_privs = spec.no_new_privs;
    auto add = [&](int resource, const std::optional<uint64_t>& value) {
        if (value) request.rlimits.push_back({resource, *value == kLimitInfinity ? RLIM_INFINITY : *value});
    };
    add(RLIMIT_NOFILE, spec.limit_nofile);
    add(RLIMIT_NPROC, spec.limit_nproc);
    add(RLIMIT_CORE, spec.limit_core);
    add(RLIMIT_MEMLOCK, spec.limit_memlock);
}

void apply_app_limits(const AppSpec& spec, const CgroupDir* instance_cgroup, SpawnRequest& request) {
    apply_process_limits(spec, request);
    if (!instance_cgroup || !*instance_cgroup) return;
    ResourceLimitOutcome outcome = apply_resource_limits(*instance_cgroup, spec);
    for (const auto& skipped : outcome.skipped) spdlog::debug("app {}: limit {} not applied", spec.name, skipped);
}

}  // namespace pmd
