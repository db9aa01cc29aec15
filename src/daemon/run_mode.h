// `pmd run apps.toml`: container mode, like pm2-runtime. pmd stays in the foreground, starts
// the file's apps with their output on its own stdout/stderr, and needs no D-Bus at all (a
// container has no system bus, and nothing outside it should manage its apps). It exits when
// told (SIGTERM/SIGINT: every app is stopped, then exit 0) or when every instance has stopped
// for good (autorestart off, or errored): 0 if all of them exited with status 0, else 1.
#pragma once

#include <string>
#include <vector>

#include "config/daemon_config.h"

namespace pmd {

struct RunOptions {
    std::string file;
    std::string profile;            // env_<profile>
    std::vector<std::string> only;  // app names; empty = all
    std::string cgroup;             // as pmd --cgroup
};

// Returns the process exit code. Throws for a file that does not load (nothing started).
int run_foreground(const RunOptions& options, const DaemonConfig& config);

}  // namespace pmd
