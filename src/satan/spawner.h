// spawn(): start one worker with clone3(CLONE_PIDFD | CLONE_INTO_CGROUP), so the process is in
// its cgroup from its first instruction and pmd holds a pidfd from the start; where the
// architecture allows, vfork-style (CLONE_VM | CLONE_VFORK, satan/vfork_clone.h), so no page
// table is copied and the call returns once the child has exec'd. Everything the
// child needs is prepared by the parent; the child only applies it and execs. A failure in the
// child (chdir, credentials, exec) comes back through a close-on-exec pipe and is thrown as
// Error(ExecFailed) naming the step and the cause, so "no such file" is an answer to the
// caller, not a crash loop.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "satan/process_ref.h"

namespace pmd {

struct Credentials {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
};

// One setrlimit applied in the child before it drops privileges (so a hard limit may be raised
// by a root pmd); value is both soft and hard limit, RLIM_INFINITY for none.
struct ResourceLimit {
    int resource = 0;  // RLIMIT_NOFILE, RLIMIT_CORE...
    uint64_t value = 0;
};

struct SpawnRequest {
    std::string path;               // absolute path of the executable (see resolve_executable)
    std::vector<std::string> argv;  // argv[0] as the user wrote it
    std::vector<std::string> env;   // "KEY=VALUE"
    std::string cwd = "/";
    std::optional<Credentials> credentials;  // nullopt: keep the daemon's
    int cgroup_fd = -1;                      // -1: no cgroup (process-group mode)
    int stdout_fd = -1;                      // -1: /dev/null
    int stderr_fd = -1;
    std::vector<int> pass_fds;               // become fds 3, 4, ... (LISTEN_FDS)
    bool set_listen_pid = false;             // add LISTEN_PID=<child pid> (known only in the child)
    mode_t umask = 022;
    std::vector<ResourceLimit> rlimits;
    bool no_new_privs = false;               // PR_SET_NO_NEW_PRIVS: setuid binaries cannot raise privileges
};

ProcessRef spawn(const SpawnRequest& request);

// Finds the executable for argv0 the way execvp would (PATH from `env`, or a default), with
// relative paths taken from cwd. Throws Error(ExecFailed) naming what was searched.
std::string resolve_executable(const std::string& argv0, const std::string& cwd,
                               const std::vector<std::string>& env);

// A passwd entry, as far as an instance's environment needs it (HOME, USER, SHELL).
struct Account {
    std::string name;
    std::string home;
    std::string shell;
};

// Looks up a user (name or numeric uid) and an optional group; throws Error(ExecFailed) for
// unknown ones. `account`, when given, receives the passwd entry that was read (nullopt for a
// numeric uid without one), so a caller does not read the database a second time.
Credentials lookup_credentials(const std::string& user, const std::string& group,
                               std::optional<Account>* account = nullptr);

// The passwd entry of uid, nullopt if there is none.
std::optional<Account> lookup_account(uid_t uid);

}  // namespace pmd
