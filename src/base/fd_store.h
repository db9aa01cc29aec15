// FdStore: somewhere outside pmd that keeps copies of fds pmd cannot lose, so a pmd restarted
// after a crash gets them back: systemd's file descriptor store (FDSTORE=1, FDNAME=) in
// daemon/, nothing elsewhere. Names are "log/<app>/<index>/<out|err>/<r|w>" for both ends of a
// log pipe and "sock/<app>/<n>" for listen sockets; an app name never contains '/'.
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
