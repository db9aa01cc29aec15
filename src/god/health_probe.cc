#include "god/health_probe.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "base/quantity.h"
#include "base/unique_fd.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace pmd {
namespace {

std::string timed_out(std::chrono::milliseconds timeout) { return "timed out after " + format_duration(timeout); }

// Shared by the probes: the timeout timer, the single report, and reporting from a later loop
// iteration when a probe fails before its creator holds it.
class ProbeBase : public Probe {
protected:
    ProbeBase(EventLoop& loop, std::chrono::milliseconds timeout, ProbeDone done)
        : loop_(loop), timeout_(timeout), done_(std::move(done)) {
        timer_ = loop_.add_timer(std::chrono::duration_cast<std::chrono::microseconds>(timeout), [this] { on_timeout(); });
    }
    virtual void on_timeout() { finish({false, timed_out(timeout_)}); }
    // Reports once; the handler may destroy this probe, so callers return right after.
    void finish(ProbeResult result) {
        timer_.reset();
        io_.reset();
        deferred_.reset();
        auto done = std::move(done_);
        done_ = nullptr;
        if (done) done(std::move(result));
    }
    void finish_soon(ProbeResult result) {
        deferred_ = loop_.add_defer([this, result] { finish(result); });
    }

    EventLoop& loop_;
    std::chrono::milliseconds timeout_;
    ProbeDone done_;
    EventSource timer_;
    EventSource io_;
    EventSource deferred_;
};

class SocketProbe : public ProbeBase {
public:
    SocketProbe(EventLoop& loop, const sockaddr_storage& address, socklen_t length, std::optional<std::string> request,
                uint16_t expected, std::chrono::milliseconds timeout, ProbeDone done)
        : ProbeBase(loop, timeout, std::move(done)), request_(std::move(request)), expected_(expected) {
        fd_.reset(socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!fd_) {
            finish_soon({false, std::string("cannot create a socket: ") + std::strerror(errno)});
            return;
        }
        if (connect(fd_.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0 && errno != EINPROGRESS) {
            finish_soon({false, std::string("connect: ") + std::strerror(errno)});
            return;
        }
        io_ = loop_.add_io(fd_.get(), EPOLLOUT, [this](uint32_t events) { on_io(events); });
    }

private:
    void on_io(uint32_t events) {
        if (!connected_) {
            int error = 0;
            socklen_t len = sizeof error;
            getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &len);
            if (error) return finish({false, std::string("connect: ") + std::strerror(error)});
            if (!(events & EPOLLOUT)) return;
            connected_ = true;
            if (!request_) return finish({true, "connected"});
        }
        if (sent_ < request_->size()) {
            ssize_t n = send(fd_.get(), request_->data() + sent_, request_->size() - sent_, MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN) return finish({false, std::string("send: ") + std::strerror(errno)});
            if (n > 0) sent_ += static_cast<size_t>(n);
            if (sent_ == request_->size()) io_.set_io_events(EPOLLIN);
            return;
        }
        char buf[1024];
        ssize_t n = recv(fd_.get(), buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EAGAIN) return;
            return finish({false, std::string("recv: ") + std::strerror(errno)});
        }
        reply_.append(buf, static_cast<size_t>(n));
        auto eol = reply_.find('\n');
        if (eol == std::string::npos && n > 0 && reply_.size() < 4096) return;
        int status = parse_status_line(std::string_view(reply_).substr(0, eol));
        if (status < 0) return finish({false, "no HTTP status line in the reply"});
        finish({status_ok(status, expected_), "HTTP " + std::to_string(status)});
    }

    UniqueFd fd_;
    std::optional<std::string> request_;  // nullopt: a TCP probe
    uint16_t expected_;
    bool connected_ = false;
    size_t sent_ = 0;
    std::string reply_;
};

class ExecProbe : public ProbeBase {
public:
    ExecProbe(EventLoop& loop, const SpawnRequest& request, std::chrono::milliseconds timeout, ProbeDone done)
        : ProbeBase(loop, timeout, std::move(done)) {
        try {
            process_ = spawn(request);
        } catch (const Error& e) {
            finish_soon({false, e.what()});
            return;
        }
        io_ = loop_.add_io(process_.pidfd(), EPOLLIN, [this](uint32_t) { on_exit(); });
    }
    ~ExecProbe() override {
        if (!process_) return;
        // Cancelled while the command runs: SIGKILL is not ignorable, so the wait is for the
        // kernel to tear the process down, not for the command.
        process_.send_signal(SIGKILL);
        siginfo_t info;
        waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(process_.pidfd()), &info, WEXITED);
    }

    pid_t pid() const override { return process_.pid(); }

private:
    void on_timeout() override {
        killed_ = true;
        timer_.reset();
        if (process_) process_.send_signal(SIGKILL);  // reported when the pidfd says it is gone
    }
    void on_exit() {
        auto status = process_.try_reap();
        if (!status) return;
        process_.reset();
        if (killed_) return finish({false, timed_out(timeout_)});
        finish({status->clean(), status->describe()});
    }

    ProcessRef process_;
    bool killed_ = false;
};

}  // namespace

int parse_status_line(std::string_view line) {
    if (line.substr(0, 5) != "HTTP/") return -1;
    auto space = line.find(' ');
    if (space == std::string_view::npos || line.size() < space + 4) return -1;
    int status = 0;
    for (size_t i = space + 1; i < space + 4; ++i) {
        if (line[i] < '0' || line[i] > '9') return -1;
        status = status * 10 + (line[i] - '0');
    }
    if (line.size() > space + 4 && line[space + 4] != ' ' && line[space + 4] != '\r') return -1;
    return status;
}

bool status_ok(int status, uint16_t expected) {
    if (expected) return status == expected;
    return status >= 200 && status < 400;
}

std::unique_ptr<Probe> start_tcp_probe(EventLoop& loop, const sockaddr_storage& address, socklen_t length,
                                       std::chrono::milliseconds timeout, ProbeDone done) {
    return std::make_unique<SocketProbe>(loop, address, length, std::nullopt, 0, timeout, std::move(done));
}

std::unique_ptr<Probe> start_http_probe(EventLoop& loop, const HttpTarget& target, uint16_t expected_status,
                                        std::chrono::milliseconds timeout, ProbeDone done) {
    std::string request = "GET " + target.path + " HTTP/1.0\r\nHost: " + target.host +
                          "\r\nUser-Agent: pmd-health-check\r\nConnection: close\r\n\r\n";
    return std::make_unique<SocketProbe>(loop, target.address, target.address_length, std::move(request),
                                         expected_status, timeout, std::move(done));
}

std::unique_ptr<Probe> start_exec_probe(EventLoop& loop, const SpawnRequest& request, std::chrono::milliseconds timeout,
                                        ProbeDone done) {
    return std::make_unique<ExecProbe>(loop, request, timeout, std::move(done));
}

}  // namespace pmd
