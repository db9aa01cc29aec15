#include "cluster/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>

namespace pmd {

std::optional<SocketAddressKey> socket_address_key(const struct sockaddr* address, socklen_t length) {
    if (!address || length < sizeof(sa_family_t)) return std::nullopt;
    SocketAddressKey k;
    char buf[INET6_ADDRSTRLEN] = "";
    switch (address->sa_family) {
        case AF_INET: {
            if (length < sizeof(struct sockaddr_in)) return std::nullopt;
            struct sockaddr_in a;
            std::memcpy(&a, address, sizeof a);
            k.port = ntohs(a.sin_port);
            if (k.port == 0) return std::nullopt;
            k.key = "4" + std::string(reinterpret_cast<const char*>(&a.sin_addr), sizeof a.sin_addr) +
                    std::string(reinterpret_cast<const char*>(&a.sin_port), sizeof a.sin_port);
            inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
            k.text = "tcp:" + std::string(buf) + ":" + std::to_string(k.port);
            return k;
        }
        case AF_INET6: {
            if (length < sizeof(struct sockaddr_in6)) return std::nullopt;
            struct sockaddr_in6 a;
            std::memcpy(&a, address, sizeof a);
            k.port = ntohs(a.sin6_port);
            if (k.port == 0) return std::nullopt;
            // Only a link-local address has a scope that tells two binds apart.
            uint32_t scope = IN6_IS_ADDR_LINKLOCAL(&a.sin6_addr) ? a.sin6_scope_id : 0;
            k.key = "6" + std::string(reinterpret_cast<const char*>(&a.sin6_addr), sizeof a.sin6_addr) +
                    std::string(reinterpret_cast<const char*>(&a.sin6_port), sizeof a.sin6_port) +
                    std::string(reinterpret_cast<const char*>(&scope), sizeof scope);
            inet_ntop(AF_INET6, &a.sin6_addr, buf, sizeof buf);
            k.text = "tcp6:[" + std::string(buf) + "]:" + std::to_string(k.port);
            return k;
        }
        case AF_UNIX: {
            size_t offset = offsetof(struct sockaddr_un, sun_path);
            if (length <= offset || length > sizeof(struct sockaddr_un)) return std::nullopt;  // autobind
            const char* path = reinterpret_cast<const struct sockaddr_un*>(address)->sun_path;
            size_t n = length - offset;
            if (path[0] == '\0') {
                if (n < 2) return std::nullopt;
                k.key = "u" + std::string(path, n);  // abstract: every byte of the length counts
                k.text = "unix:@" + std::string(path + 1, n - 1);
                return k;
            }
            n = strnlen(path, n);  // a pathname ends at its NUL, whatever length was passed
            k.unix_path.assign(path, n);
            k.key = "u" + k.unix_path;
            k.text = "unix:" + k.unix_path;
            return k;
        }
        default:
            return std::nullopt;
    }
}

std::optional<SocketAddressKey> bound_address_key(int fd) {
    struct sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (getsockname(fd, reinterpret_cast<struct sockaddr*>(&address), &length) != 0) return std::nullopt;
    return socket_address_key(reinterpret_cast<struct sockaddr*>(&address), length);
}

}  // namespace pmd
