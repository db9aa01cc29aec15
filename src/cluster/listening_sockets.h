// The listening stream sockets a running process holds, duplicated into pmd (pidfd_getfd):
// after a crash, how a new pmd takes back the sockets a cluster-mode app's instances share,
// from the instances themselves. Needs the right to ptrace the process (root, or its uid).
#pragma once

#include <vector>

#include "base/unique_fd.h"

namespace pmd {

// pidfd: the process; pid: the same process, for /proc/PID/fd. Sockets that are not
// listening, not of a stream type or not bound to a shareable address are left alone.
std::vector<UniqueFd> listening_sockets_of(int pidfd, int pid);

}  // namespace pmd
