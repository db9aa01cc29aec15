// The identity of a bind address as the kernel compares them: family, port and address bytes
// (plus the scope of a link-local IPv6 address), or a unix path (abstract names included).
// Two binds with the same key would collide (EADDRINUSE); in cluster mode they share a socket.
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string>

namespace pmd {

struct SocketAddressKey {
    std::string key;         // bytes compared for equality; not for display
    std::string text;        // "tcp:0.0.0.0:8080", "tcp6:[::]:8080", "unix:/run/app.sock", "unix:@name"
    uint16_t port = 0;       // inet: the port; 0 for unix
    std::string unix_path;   // a unix path on the filesystem (empty for abstract names and inet)
};

// nullopt for what is never shared: other families, port 0 (the kernel picks a port per
// socket), unix autobind (an empty name), and malformed lengths.
std::optional<SocketAddressKey> socket_address_key(const struct sockaddr* address, socklen_t length);

// The key of the address a socket is bound to (getsockname); nullopt as above or on error.
std::optional<SocketAddressKey> bound_address_key(int fd);

}  // namespace pmd
