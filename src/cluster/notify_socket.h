// NotifySocket: pmd's sd_notify endpoint. Every instance gets NOTIFY_SOCKET pointing here and
// may send READY=1, STATUS=..., STOPPING=1, WATCHDOG=1, EXTEND_TIMEOUT_USEC=... as systemd
// services do. The sender is identified by the kernel-checked credentials (SCM_CREDENTIALS)
// and then by the cgroup its pid is in, so a message from a stranger is ignored and an
// instance cannot speak for another.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "base/unique_fd.h"
#include "event/event_loop.h"

namespace pmd {

// "READY=1\nSTATUS=Serving\n" -> {READY: 1, STATUS: Serving}; lines without '=' are ignored.
std::map<std::string, std::string> parse_notify_message(std::string_view text);

class NotifySocket {
public:
    using Handler = std::function<void(pid_t sender, const std::map<std::string, std::string>& fields)>;

    // Binds a datagram socket at `path` (replacing a stale one); throws Error on failure.
    // handed_fd: the same socket, still bound, from the pmd before a re-exec.
    NotifySocket(EventLoop& loop, std::string path, Handler handler, int handed_fd = -1);
    ~NotifySocket();

    const std::string& path() const { return path_; }
    int fd() const { return fd_.get(); }

private:
    void on_readable();

    std::string path_;
    UniqueFd fd_;
    EventSource source_;
    Handler handler_;
};

}  // namespace pmd
