#include "cluster/notify_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace pmd {

std::map<std::string, std::string> parse_notify_message(std::string_view text) {
    std::map<std::string, std::string> fields;
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        auto eq = line.find('=');
        if (eq != std::string_view::npos && eq > 0) fields[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return fields;
}

NotifySocket::NotifySocket(EventLoop& loop, std::string path, Handler handler, int handed_fd)
    : path_(std::move(path)), handler_(std::move(handler)) {
    if (handed_fd >= 0) {
        // Re-exec: the socket stayed bound all along; messages sent meanwhile wait in it.
        fd_.reset(handed_fd);
        fcntl(fd_.get(), F_SETFD, FD_CLOEXEC);
        source_ = loop.add_io(fd_.get(), EPOLLIN, [this](uint32_t) { on_readable(); });
        return;
    }
    struct sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof addr.sun_path)
        throw Error(Error::Kind::Failed, "notify socket path " + path_ + " is too long; use a shorter --state-dir");
    std::memcpy(addr.sun_path, path_.data(), path_.size());
    fd_.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd_) throw Error(Error::Kind::Failed, std::string("cannot create the notify socket: ") + std::strerror(errno));
    unlink(path_.c_str());
    if (bind(fd_.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0)
        throw Error(Error::Kind::Failed, "cannot bind the notify socket " + path_ + ": " + std::strerror(errno));
    // Instances may run as any user; who they are is checked through credentials, not the mode.
    chmod(path_.c_str(), 0666);
    int one = 1;
    setsockopt(fd_.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    // A burst of notifications from many instances must not be dropped for lack of buffer.
    int size = 1 << 20;
    setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    source_ = loop.add_io(fd_.get(), EPOLLIN, [this](uint32_t) { on_readable(); });
}

NotifySocket::~NotifySocket() { unlink(path_.c_str()); }

void NotifySocket::on_readable() {
    for (;;) {
        char buf[4096];
        alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
        struct iovec iov{buf, sizeof buf - 1};
        struct msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = recvmsg(fd_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
        if (n < 0) return;
        pid_t sender = 0;
        for (auto* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET) continue;
            if (c->cmsg_type == SCM_CREDENTIALS) {
                struct ucred cred;
                std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
                sender = cred.pid;
            } else if (c->cmsg_type == SCM_RIGHTS) {
                // FDSTORE is not offered to instances: close whatever was passed.
                size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < count; ++i) {
                    int fd;
                    std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                    close(fd);
                }
            }
        }
        if (sender <= 0 || static_cast<size_t>(n) >= sizeof buf) continue;  // anonymous or oversized: ignored
        handler_(sender, parse_notify_message(std::string_view(buf, static_cast<size_t>(n))));
    }
}

}  // namespace pmd
