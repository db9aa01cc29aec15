// PM2's pid_file: the main pid of each running instance in a file, for tools that read one.
// pmd itself never reads it (it follows processes by pidfd and cgroup).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/fs_identity.h"
#include "spec/app_spec.h"

namespace pmd {

// The file of instance `index`: pid_file itself for one instance, "<stem>-<index><ext>" for
// several (as per-instance log files); empty when the app has none.
std::string pid_file_for(const AppSpec& spec, unsigned index);

// Written and removed with the identity the app's log paths are opened with, so a request can
// only touch files its requester could. Failures are logged, never fatal: a pid file is a
// courtesy to other tools, not a condition of running.
void write_pid_file(const std::string& path, pid_t pid, const std::optional<FsIdentity>& opener);
void remove_pid_file(const std::string& path, const std::optional<FsIdentity>& opener);

}  // namespace pmd
