// SystemdFdStore: FdStore (base/fd_store.h) on systemd's file descriptor store. pmd sends each
// fd with FDSTORE=1 and its FDNAME=; when pmd dies and Restart= brings it back, systemd passes
// them all in LISTEN_FDS/LISTEN_FDNAMES, and take_stored_fds() hands them to the recovery.
// Active only under systemd (INVOCATION_ID and NOTIFY_SOCKET set); the unit allows 4096 fds
// (FileDescriptorStoreMax=).
#pragma once

#include <map>
#include <string>

#include "base/fd_store.h"

namespace pmd {

class SystemdFdStore final : public FdStore {
public:
    // nullptr-like when not under systemd: active() is false and keep/forget do nothing.
    SystemdFdStore();
    bool active() const { return active_; }
    void keep(const std::string& name, int fd) override;
    void forget(const std::string& name) override;

    // The fds systemd passed at start, by name (and LISTEN_* removed from the environment, so
    // no app inherits them). Empty for an ordinary start.
    static std::map<std::string, int> take_stored_fds();

private:
    bool active_ = false;
};

}  // namespace pmd
