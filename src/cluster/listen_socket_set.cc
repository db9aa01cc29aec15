#include "cluster/listen_socket_set.h"

#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "base/error.h"
#include "config/listen_address.h"

namespace pmd {
namespace {

[[noreturn]] void fail(const std::string& address, const std::string& why) {
    throw Error(Error::Kind::Failed, "cannot listen on " + address + ": " + why);
}

UniqueFd listen_inet(const ParsedListenAddress& a, const std::string& text) {
    struct addrinfo hints{};
    hints.ai_family = a.family == ParsedListenAddress::Family::Tcp6 ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    struct addrinfo* res = nullptr;
    std::string port = std::to_string(a.port);
    int rc = getaddrinfo(a.host.empty() ? nullptr : a.host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) fail(text, gai_strerror(rc));
    std::unique_ptr<struct addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
    UniqueFd fd(socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) fail(text, std::strerror(errno));
    int one = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (res->ai_family == AF_INET6) setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd.get(), res->ai_addr, res->ai_addrlen) < 0) fail(text, std::strerror(errno));
    if (listen(fd.get(), SOMAXCONN) < 0) fail(text, std::strerror(errno));
    return fd;
}

UniqueFd listen_unix(const ParsedListenAddress& a, const std::string& text) {
    struct sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (a.path.size() >= sizeof addr.sun_path) fail(text, "the path is longer than " + std::to_string(sizeof addr.sun_path - 1) + " bytes");
    std::memcpy(addr.sun_path, a.path.data(), a.path.size());
    socklen_t len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + a.path.size());
    if (a.path.front() == '@') addr.sun_path[0] = '\0';  // abstract namespace
    else unlink(a.path.c_str());                            // a stale socket file of an earlier run
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) fail(text, std::strerror(errno));
    if (bind(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), len) < 0) fail(text, std::strerror(errno));
    if (a.path.front() != '@') chmod(a.path.c_str(), 0666);
    if (listen(fd.get(), SOMAXCONN) < 0) fail(text, std::strerror(errno));
    return fd;
}

}  // namespace

ListenSocketSet ListenSocketSet::bind_all(const std::vector<ListenAddress>& addresses, const std::string& app_name) {
    ListenSocketSet set;
    for (const auto& address : addresses) {
        std::string why;
        auto parsed = parse_listen_address(address.address, &why);
        if (!parsed) throw Error(Error::Kind::InvalidSpec, "listen '" + address.address + "': " + why);
        Socket s;
        s.name = address.name.empty() ? app_name : address.name;
        if (parsed->family == ParsedListenAddress::Family::Unix) {
            s.fd = listen_unix(*parsed, address.address);
            if (parsed->path.front() != '@') s.unix_path = parsed->path;
        } else {
            s.fd = listen_inet(*parsed, address.address);
        }
        set.sockets_.push_back(std::move(s));
    }
    return set;
}

ListenSocketSet ListenSocketSet::adopt(const std::vector<int>& fds, const std::vector<ListenAddress>& addresses,
                                       const std::string& app_name) {
    ListenSocketSet set;
    for (int fd : fds) {
        Socket s;
        s.fd.reset(fd);  // owned from here on, so a failure below closes every one
        set.sockets_.push_back(std::move(s));
    }
    if (fds.size() != addresses.size())
        throw Error(Error::Kind::Failed, "app " + app_name + ": " + std::to_string(fds.size()) + " sockets for " +
                                             std::to_string(addresses.size()) + " listen addresses");
    for (size_t i = 0; i < addresses.size(); ++i) {
        Socket& s = set.sockets_[i];
        int listening = 0;
        socklen_t len = sizeof listening;
        if (getsockopt(s.fd.get(), SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening)
            throw Error(Error::Kind::Failed, "app " + app_name + ": fd for '" + addresses[i].address +
                                                 "' is not a listening socket");
        fcntl(s.fd.get(), F_SETFD, FD_CLOEXEC);
        s.name = addresses[i].name.empty() ? app_name : addresses[i].name;
        std::string why;
        auto parsed = parse_listen_address(addresses[i].address, &why);
        if (parsed && parsed->family == ParsedListenAddress::Family::Unix && parsed->path.front() != '@')
            s.unix_path = parsed->path;
    }
    return set;
}

std::vector<int> ListenSocketSet::fds() const {
    std::vector<int> out;
    for (const auto& s : sockets_) out.push_back(s.fd.get());
    return out;
}

std::string ListenSocketSet::names() const {
    std::string out;
    for (const auto& s : sockets_) out += (out.empty() ? "" : ":") + s.name;
    return out;
}

ListenSocketSet& ListenSocketSet::operator=(ListenSocketSet&& other) {
    if (this != &other) {
        // Closed (and unix paths unlinked) through a destructor that really ends its object:
        // calling ~ListenSocketSet() on *this destroyed sockets_ and the assignment below then
        // freed its buffer a second time (seen first when daemon-reload replaced a bound set).
        { ListenSocketSet closing(std::move(*this)); }
        sockets_ = std::move(other.sockets_);
        other.sockets_.clear();
    }
    return *this;
}

ListenSocketSet::~ListenSocketSet() {
    for (auto& s : sockets_)
        if (!s.unix_path.empty()) unlink(s.unix_path.c_str());
    sockets_.clear();
}

}  // namespace pmd
