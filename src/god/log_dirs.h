// Missing folders of an app's out_file/error_file (and pid_file) are created, as PM2 does, instead of the
// start being refused: as the requester (never with more rights than it has), and handed to
// the app's user when pmd created them as root for a root request.
#pragma once

#include <optional>

#include "base/fs_identity.h"
#include "spec/app_spec.h"

namespace pmd {

// opener: the identity the app's log paths are opened with (nullopt = pmd's own). Throws
// Error(Failed) naming the field and folder that could not be created.
void make_log_dirs(const AppSpec& spec, const std::optional<FsIdentity>& opener);

}  // namespace pmd
