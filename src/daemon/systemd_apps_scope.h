// The cgroup pmd's apps live in when systemd runs pmd with controllers delegated: a scope unit
// ("pmd-apps.scope" beside pmd.service) that pmd asks systemd for over its D-Bus API, with
// Delegate=yes, the way container managers place containers.
//
// Why not <pmd.service>/apps: limits need controllers enabled in pmd.service's own
// cgroup.subtree_control, and systemd 252 then cannot put a restarted pmd back into its unit
// (the kernel refuses a process in a cgroup with controllers enabled for its children; only
// systemd 254's DelegateSubgroup= avoids that). pmd.service's cgroup stays a plain leaf, so
// Restart= works after any crash, and the apps keep running in the scope meanwhile.
//
// A scope needs a process to exist: a holder (`sleep infinity`) started with it sits in
// <scope>/holder, so the scope outlives every app and every pmd until `systemctl stop pmd`
// (ExecStopPost kills the scope's cgroup). The holder is not pmd's child: systemd reaps it.
// A scope left failed (stopped or killed from outside while pmd was down) is reset and made anew.
#pragma once

#include <string>

namespace pmd {

// The scope's cgroup, relative to the cgroup2 mount ("/system.slice/pmd-apps.scope"), made
// or found on the bus of the systemd manager that runs pmd (the user manager when user_bus);
// "" when pmd does not run as a systemd service with controllers delegated, or when systemd
// would not make the scope, and `why` then says so (empty when no scope was called for).
std::string systemd_apps_scope(bool user_bus, std::string& why);

}  // namespace pmd
