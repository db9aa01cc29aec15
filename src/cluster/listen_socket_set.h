// ListenSocketSet: the sockets pmd binds once for an app and hands to every instance as fd 3,
// 4, ... with LISTEN_FDS / LISTEN_FDNAMES (the systemd socket-activation protocol), so
// sd_listen_fds() and Node's listen({fd: 3}) work unchanged. The set lives as long as the app:
// restarts and reloads never close it, so no connection is ever refused; delete does.
#pragma once

#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "spec/app_spec.h"

namespace pmd {

class ListenSocketSet {
public:
    ListenSocketSet() = default;
    // Binds and listens on every address; throws Error naming the address and the cause
    // ("tcp:0.0.0.0:80: Address already in use"). Nothing stays bound on failure.
    static ListenSocketSet bind_all(const std::vector<ListenAddress>& addresses, const std::string& app_name);

    // The sockets of `addresses` from fds that are already bound and listening: handed over
    // across a re-exec, or taken back from a running worker after a crash. Throws Error when
    // the count differs or one is not a listening socket.
    static ListenSocketSet adopt(const std::vector<int>& fds, const std::vector<ListenAddress>& addresses,
                                 const std::string& app_name);

    bool empty() const { return sockets_.empty(); }
    std::vector<int> fds() const;
    // "web:admin": the LISTEN_FDNAMES value.
    std::string names() const;

    ListenSocketSet(ListenSocketSet&&) = default;
    ListenSocketSet& operator=(ListenSocketSet&&);
    ~ListenSocketSet();

private:
    struct Socket {
        UniqueFd fd;
        std::string name;
        std::string unix_path;  // removed when the set is destroyed
    };
    std::vector<Socket> sockets_;
};

}  // namespace pmd
