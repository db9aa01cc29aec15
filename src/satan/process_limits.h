// What of an AppSpec confines the child beyond its credentials (umask, no_new_privs, rlimits),
// as the fields of a SpawnRequest: kept apart from god/ so the spawner stays the only place
// that knows how they are applied, and god/ has one call to make.
#pragma once

#include "cgroup/cgroup_dir.h"
#include "spec/app_spec.h"
#include "satan/spawner.h"

namespace pmd {

void apply_process_limits(const AppSpec& spec, SpawnRequest& request);

// Everything that confines one instance before it is spawned: the request's fields above, and
// memory.max / pids.max / cpu.max of its cgroup (null in process-group mode). Limits whose
// controller is missing are skipped (logged at debug level); a refused value throws.
void apply_app_limits(const AppSpec& spec, const CgroupDir* instance_cgroup, SpawnRequest& request);

}  // namespace pmd
