#include "cluster/bind_broker.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fstream>

#include <spdlog/spdlog.h>

#include "base/error.h"
#include "cluster/bind_protocol.h"

namespace pmd {

struct BindBroker::Connection {
    uint64_t id = 0;
    UniqueFd fd;
    EventSource source;
    pid_t pid = 0;
    // Idle: nothing asked yet, or answered. Binding: told to bind `address` itself; others
    // asking for it wait until it offers the socket or goes away. Waiting: for such a binder.
    enum class State { Idle, Binding, Waiting } state = State::Idle;
    SocketAddressKey address;
    std::weak_ptr<SharedSocketPool> pool;
    const SharedSocketPool* pool_id = nullptr;  // compared only, never dereferenced
};

namespace {

// Questions in flight at once; an instance asks one at a time, so this is far above need.
constexpr size_t kMaxConnections = 1024;

bool send_reply(int fd, uint32_t answer, int error = 0, int pass_fd = -1) {
    struct pmd_bind_reply reply{answer, error};
    struct iovec iov{&reply, sizeof reply};
    struct msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    if (pass_fd >= 0) {
        std::memset(control, 0, sizeof control);
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &pass_fd, sizeof pass_fd);
    }
    return sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) == static_cast<ssize_t>(sizeof reply);
}

bool is_stream_socket(int fd) {
    int type = 0;
    socklen_t len = sizeof type;
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

}  // namespace

bool may_bind_privileged_port(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("CapEff:", 0) != 0) continue;
        unsigned long long caps = std::strtoull(line.c_str() + 7, nullptr, 16);
        return (caps >> CAP_NET_BIND_SERVICE) & 1;
    }
    return false;
}

uint16_t unprivileged_port_start() {
    std::ifstream in("/proc/sys/net/ipv4/ip_unprivileged_port_start");
    long start = 1024;
    if (!(in >> start) || start < 0 || start > 65536) start = 1024;
    return static_cast<uint16_t>(std::min(start, 65535L));
}

BindBroker::BindBroker(EventLoop& loop, std::string path, Resolve resolve, Listening listening)
    : loop_(loop), path_(std::move(path)), resolve_(std::move(resolve)), listening_(std::move(listening)) {
    struct sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof addr.sun_path)
        throw Error(Error::Kind::Failed, "cluster socket path " + path_ + " is too long; use a shorter --state-dir");
    std::memcpy(addr.sun_path, path_.data(), path_.size());
    fd_.reset(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd_) throw Error(Error::Kind::Failed, std::string("cannot create the cluster socket: ") + std::strerror(errno));
    unlink(path_.c_str());
    if (bind(fd_.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0)
        throw Error(Error::Kind::Failed, "cannot bind the cluster socket " + path_ + ": " + std::strerror(errno));
    // Instances may run as any user; who asks is decided by SO_PEERCRED, not by the mode.
    chmod(path_.c_str(), 0666);
    if (listen(fd_.get(), SOMAXCONN) < 0)
        throw Error(Error::Kind::Failed, "cannot listen on the cluster socket " + path_ + ": " + std::strerror(errno));
    source_ = loop_.add_io(fd_.get(), EPOLLIN, [this](uint32_t) { on_accept(); });
}

BindBroker::~BindBroker() {
    connections_.clear();
    unlink(path_.c_str());
}

void BindBroker::on_accept() {
    for (;;) {
        UniqueFd fd(accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) return;
        struct ucred cred{};
        socklen_t len = sizeof cred;
        if (getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.pid <= 0) continue;
        // The socket is open to every local user: a stranger, or a flood of connections, is
        // answered "alone" at once rather than holding one of pmd's fds.
        if (connections_.size() >= kMaxConnections || !resolve_(cred.pid).pool) {
            send_reply(fd.get(), PMD_BIND_ALONE);
            continue;
        }
        auto c = std::make_unique<Connection>();
        c->id = next_id_++;
        c->pid = cred.pid;
        c->fd = std::move(fd);
        uint64_t id = c->id;
        c->source = loop_.add_io(c->fd.get(), EPOLLIN, [this, id](uint32_t) { on_readable(id); });
        connections_[id] = std::move(c);
    }
}

void BindBroker::on_readable(uint64_t id) {
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    Connection& c = *it->second;
    struct pmd_bind_request request{};
    struct iovec iov{&request, sizeof request};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    struct msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(c.fd.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    UniqueFd passed;
    if (n > 0) {
        for (auto* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
            if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
            size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; ++i) {
                int fd;
                std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
                if (i == 0 && !passed) passed.reset(fd);
                else close(fd);
            }
        }
    }
    if (n <= 0 || static_cast<size_t>(n) < offsetof(struct pmd_bind_request, address) ||
        request.address_length > sizeof request.address) {
        close_connection(id);  // hung up, or not our protocol
        return;
    }

    if (request.op == PMD_BIND_LISTENING) {
        listening_(c.pid);
        return;
    }
    if (request.op == PMD_BIND_ASK && c.state == Connection::State::Idle) {
        auto key = socket_address_key(reinterpret_cast<struct sockaddr*>(&request.address), request.address_length);
        if (!key) {
            if (!send_reply(c.fd.get(), PMD_BIND_ALONE)) close_connection(id);
            return;
        }
        if (!key->unix_path.empty() && key->unix_path.front() != '/') {
            // A relative path is the asker's: the file pmd checks is under its cwd.
            char cwd[4096];
            ssize_t len = readlink(("/proc/" + std::to_string(c.pid) + "/cwd").c_str(), cwd, sizeof cwd - 1);
            if (len > 0) key->unix_path = std::string(cwd, static_cast<size_t>(len)) + "/" + key->unix_path;
        }
        c.address = std::move(*key);
        serve_ask(c);
        return;
    }
    if (request.op == PMD_BIND_OFFER && c.state == Connection::State::Binding) {
        c.state = Connection::State::Idle;
        auto pool = c.pool.lock();
        auto bound = passed ? bound_address_key(passed.get()) : std::nullopt;
        bool fits = pool && bound && bound->key == c.address.key && is_stream_socket(passed.get());
        if (fits) {
            spdlog::info("cluster: pid {} bound {}; its app's instances share it from now on", c.pid, c.address.text);
            pool->keep(c.address, std::move(passed));
        }
        bool sent = send_reply(c.fd.get(), fits ? PMD_BIND_KEPT : PMD_BIND_ALONE);
        const SharedSocketPool* pool_id = c.pool_id;
        std::string key = c.address.key;
        if (!sent) close_connection(id);
        wake_waiters(pool_id, key);
        return;
    }
    close_connection(id);
}

void BindBroker::serve_ask(Connection& c) {
    Asker asker = resolve_(c.pid);
    c.state = Connection::State::Idle;
    if (!asker.pool) {
        spdlog::debug("cluster: bind of {} by pid {} not shared: not an instance of a cluster-mode app", c.address.text, c.pid);
        if (!send_reply(c.fd.get(), PMD_BIND_ALONE)) close_connection(c.id);
        return;
    }
    for (int fd : asker.prebound) {
        auto bound = bound_address_key(fd);
        if (bound && bound->key == c.address.key) {
            if (!send_reply(c.fd.get(), PMD_BIND_TAKE, 0, fd)) close_connection(c.id);
            return;
        }
    }
    if (const auto* s = asker.pool->find(c.address)) {
        // The socket was bound by another instance; this one gets it only if it could bind
        // the address itself, as the kernel would decide.
        if (c.address.port && c.address.port < unprivileged_port_start() && !may_bind_privileged_port(c.pid)) {
            spdlog::warn("cluster: pid {} may not bind {} (no CAP_NET_BIND_SERVICE): EACCES", c.pid, c.address.text);
            if (!send_reply(c.fd.get(), PMD_BIND_REFUSED, EACCES)) close_connection(c.id);
            return;
        }
        if (!send_reply(c.fd.get(), PMD_BIND_TAKE, 0, s->fd.get())) close_connection(c.id);
        return;
    }
    c.pool = asker.pool;
    c.pool_id = asker.pool.get();
    for (const auto& [id, other] : connections_) {
        if (other.get() != &c && other->state == Connection::State::Binding && other->pool_id == c.pool_id &&
            other->address.key == c.address.key) {
            c.state = Connection::State::Waiting;
            return;
        }
    }
    c.state = Connection::State::Binding;
    if (!send_reply(c.fd.get(), PMD_BIND_YOURSELF)) close_connection(c.id);
}

void BindBroker::close_connection(uint64_t id) {
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    bool was_binding = it->second->state == Connection::State::Binding;
    const SharedSocketPool* pool_id = it->second->pool_id;
    std::string key = it->second->address.key;
    connections_.erase(it);
    if (was_binding) wake_waiters(pool_id, key);
}

void BindBroker::wake_waiters(const SharedSocketPool* pool_id, const std::string& key) {
    std::vector<uint64_t> waiting;
    for (const auto& [id, c] : connections_)
        if (c->state == Connection::State::Waiting && c->pool_id == pool_id && c->address.key == key) waiting.push_back(id);
    for (uint64_t id : waiting) {
        auto it = connections_.find(id);
        if (it != connections_.end() && it->second->state == Connection::State::Waiting) serve_ask(*it->second);
    }
}

}  // namespace pmd
