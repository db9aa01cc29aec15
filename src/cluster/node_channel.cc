#include "cluster/node_channel.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "base/error.h"

namespace pmd {
namespace {

// A line longer than this is no message pmd waits for; it is skipped, not buffered.
constexpr size_t kMaxLine = 64 * 1024;

}  // namespace

std::pair<std::unique_ptr<NodeChannel>, UniqueFd> NodeChannel::open(EventLoop& loop, OnMessage on_message) {
    int fds[2];
    // The child's end is blocking: libuv makes it non-blocking itself, and a blocking fd is
    // what node's own child_process hands over.
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        throw Error(Error::Kind::Failed, std::string("cannot create the IPC channel: ") + std::strerror(errno));
    UniqueFd ours(fds[0]), theirs(fds[1]);
    int flags = ::fcntl(ours.get(), F_GETFL);
    if (flags < 0 || ::fcntl(ours.get(), F_SETFL, flags | O_NONBLOCK) != 0)
        throw Error(Error::Kind::Failed, std::string("IPC channel: ") + std::strerror(errno));
    std::unique_ptr<NodeChannel> channel(new NodeChannel(loop, std::move(ours), std::move(on_message)));
    return {std::move(channel), std::move(theirs)};
}

std::unique_ptr<NodeChannel> NodeChannel::adopt(EventLoop& loop, UniqueFd fd, OnMessage on_message) {
    return std::unique_ptr<NodeChannel>(new NodeChannel(loop, std::move(fd), std::move(on_message)));
}

NodeChannel::NodeChannel(EventLoop& loop, UniqueFd fd, OnMessage on_message)
    : fd_(std::move(fd)), on_message_(std::move(on_message)) {
    io_ = loop.add_io(fd_.get(), EPOLLIN, [this](uint32_t) { on_readable(); });
}

NodeChannel::~NodeChannel() { *alive_ = false; }

void NodeChannel::on_readable() {
    std::vector<std::string> messages;
    bool closed = false;
    for (;;) {
        char buf[16384];
        ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) {
            closed = true;
            break;
        }
        partial_.append(buf, static_cast<size_t>(n));
        size_t start = 0;
        for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
            auto value = nlohmann::json::parse(partial_.begin() + static_cast<std::ptrdiff_t>(start),
                                               partial_.begin() + static_cast<std::ptrdiff_t>(nl), nullptr, false);
            if (value.is_string()) messages.push_back(value.get<std::string>());
        }
        partial_.erase(0, start);
        if (partial_.size() > kMaxLine) partial_.clear();
    }
    // The app closed its end (process.disconnect(), or it exited): nothing more will come.
    if (closed) io_.reset();
    // A message may end this instance (and this channel) from inside the callback.
    auto alive = alive_;
    for (const auto& message : messages) {
        on_message_(message);
        if (!*alive) return;
    }
}

bool NodeChannel::send_string(std::string_view text) {
    std::string frame = nlohmann::json(std::string(text)).dump() + "\n";
    ssize_t n = ::send(fd_.get(), frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return n == static_cast<ssize_t>(frame.size());
}

}  // namespace pmd
