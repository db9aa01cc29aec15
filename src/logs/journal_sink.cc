#include "logs/journal_sink.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

namespace pmd {

JournalSink::JournalSink(std::string socket_path) : socket_path_(std::move(socket_path)) {
    fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd_) {
        // Room for bursts: journald reads in its own time.
        int size = 8 << 20;
        ::setsockopt(fd_.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
}

void JournalSink::write(const LogLine& line) {
    message_.clear();
    message_.append("MESSAGE=").append(line.text);
    message_.append("\nPRIORITY=").append(line.stream == LogStream::Err ? "3" : "6");
    message_.append("\nPMD_APP=").append(line.app);
    message_.append("\nPMD_INSTANCE=").append(std::to_string(line.instance));
    message_.append("\nPMD_STREAM=").append(line.stream == LogStream::Err ? "stderr" : "stdout");
    message_.append("\nSYSLOG_IDENTIFIER=").append(line.app);
    message_.push_back('\n');

    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path_.c_str(), sizeof addr.sun_path - 1);
    ssize_t n = fd_ ? ::sendto(fd_.get(), message_.data(), message_.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                               reinterpret_cast<sockaddr*>(&addr), sizeof addr)
                    : -1;
    if (n >= 0) {
        last_error_ = 0;
        return;
    }
    int error = fd_ ? errno : EBADF;
    ++dropped_;
    if (error != last_error_) {
        spdlog::warn("journal socket {}: {}; dropping app lines meant for the journal (is systemd-journald running? "
                     "set log_sink = \"file\" in pmd.toml otherwise)",
                     socket_path_, std::strerror(error));
        last_error_ = error;
    }
}

}  // namespace pmd
