#include "base/fs_identity.h"

#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "base/error.h"

namespace pmd {

ScopedFsIdentity::ScopedFsIdentity(const std::optional<FsIdentity>& identity) {
    if (!identity || geteuid() != 0) return;  // unprivileged pmd: its own permissions already apply
    int count = getgroups(0, nullptr);
    saved_groups_.resize(static_cast<size_t>(count > 0 ? count : 0));
    if (count > 0 && getgroups(count, saved_groups_.data()) != count)
        throw Error(Error::Kind::Failed, std::string("getgroups: ") + std::strerror(errno));
    std::vector<gid_t> groups = identity->groups;
    if (groups.empty()) groups.push_back(identity->gid);
    if (syscall(SYS_setgroups, groups.size(), groups.data()) != 0)
        throw Error(Error::Kind::Failed, std::string("setgroups: ") + std::strerror(errno));
    // setfsuid/setfsgid return the previous value and cannot report failure directly: a
    // second call returns the value now in force, which must be the one asked for.
    saved_gid_ = static_cast<gid_t>(setfsgid(identity->gid));
    saved_uid_ = static_cast<uid_t>(setfsuid(identity->uid));
    active_ = true;
    if (static_cast<uid_t>(setfsuid(identity->uid)) != identity->uid ||
        static_cast<gid_t>(setfsgid(identity->gid)) != identity->gid) {
        restore();  // the destructor does not run for a constructor that throws
        throw Error(Error::Kind::Failed, "cannot take the file identity of uid " + std::to_string(identity->uid));
    }
}

ScopedFsIdentity::~ScopedFsIdentity() { restore(); }

void ScopedFsIdentity::restore() {
    if (!active_) return;
    active_ = false;
    setfsuid(saved_uid_);
    setfsgid(saved_gid_);
    syscall(SYS_setgroups, saved_groups_.size(), saved_groups_.data());
}

}  // namespace pmd
