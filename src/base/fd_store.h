// FdStore: somewhere outside pmd that keeps copies of fds pmd cannot lose, so a pmd restarted
// after a crash gets them back: systemd's file descriptor store (FDSTORE=1, FDNAME=) in
// daemon/, nothing elsewhere. The names fds are kept under are in base/fd_store_names.h.
#pragma once

#include <string>

namespace pmd {

class FdStore {
public:
    virtual ~FdStore() = default;
    // Keeps a copy of fd under name (storing the same fd again is harmless).
    virtual void keep(const std::string& name, int fd) = 0;
    // Drops the copy kept under name, when pmd closes its own.
    virtual void forget(const std::string& name) = 0;
};

}  // namespace pmd
