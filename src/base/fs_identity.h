// FsIdentity: whose file permissions apply when pmd, running as root, touches a path that a
// user chose (an app's out_file/error_file). The kernel checks file access against the
// calling thread's filesystem uid/gid and groups, so pmd switches exactly those, for the
// calling thread only, around the open/rename/unlink: a user's log path then reaches only
// what that user could reach, whatever symlinks they swap in later (rotation, reopen-logs).
#pragma once

#include <sys/types.h>

#include <optional>
#include <vector>

namespace pmd {

struct FsIdentity {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // supplementary groups; empty = just gid
};

// Switches this thread's fsuid, fsgid and supplementary groups for its lifetime
// when given an identity; does nothing for nullopt (pmd's own identity). Raw syscalls on
// purpose: glibc's setgroups() would change every thread of the process.
class ScopedFsIdentity {
public:
    explicit ScopedFsIdentity(const std::optional<FsIdentity>& identity);
    ~ScopedFsIdentity();
    ScopedFsIdentity(const ScopedFsIdentity&) = delete;
    ScopedFsIdentity& operator=(const ScopedFsIdentity&) = delete;

private:
    void restore();

    bool active_ = false;
    uid_t saved_uid_ = 0;
    gid_t saved_gid_ = 0;
    std::vector<gid_t> saved_groups_;
};

}  // namespace pmd
