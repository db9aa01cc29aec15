// SharedSocketPool: the sockets the instances of one cluster-mode app bound themselves, kept
// by pmd per address so every later bind() of the same address, by any instance, in any
// reload or restart, gets the same socket (cluster/bind_broker.h hands them out). It lives as
// long as the app: delete closes the sockets and removes the unix paths they created.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "cluster/socket_address.h"

namespace pmd {

class SharedSocketPool {
public:
    struct Socket {
        UniqueFd fd;
        std::string text;    // "tcp:0.0.0.0:8080"
        std::string unix_path;
        dev_t dev = 0;       // the socket file a unix bind created, to recognise it later
        ino_t ino = 0;       // 0: not found when kept (a path relative to another cwd): not checked
    };

    SharedSocketPool() = default;
    SharedSocketPool(const SharedSocketPool&) = delete;
    SharedSocketPool& operator=(const SharedSocketPool&) = delete;
    ~SharedSocketPool();

    // The socket for `address`, or null. A unix socket whose file is gone or was replaced
    // (someone unlinked the path) can no longer be reached: it is dropped, and the next
    // instance binds the path afresh.
    const Socket* find(const SocketAddressKey& address);
    // Keeps `fd`, bound to `address`.
    void keep(const SocketAddressKey& address, UniqueFd fd);
    // Every socket, for the handover to the next pmd.
    std::vector<int> fds() const;

private:
    std::map<std::string, Socket> sockets_;
};

}  // namespace pmd
