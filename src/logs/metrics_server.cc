#include "logs/metrics_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <spdlog/spdlog.h>

#include "base/error.h"
#include "config/listen_address.h"
#include "logs/metrics_snapshot.h"

namespace pmd {
namespace {

// A scraper sends a few hundred bytes; anything longer is not one.
constexpr size_t kMaxRequest = 8192;
// Few scrapers at a time; more connections than this are closed at once.
constexpr size_t kMaxConnections = 16;
// A connection that has not sent its request by then is dropped.
constexpr std::chrono::seconds kRequestTimeout{10};

std::string response(const char* status, const std::string& type, const std::string& body) {
    std::string out = "HTTP/1.1 ";
    out += status;
    out += "\r\nContent-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n";
    out += body;
    return out;
}

bool is_loopback(const ParsedListenAddress& a) {
    if (a.family == ParsedListenAddress::Family::Tcp) {
        in_addr v4{};
        if (a.host == "localhost") return true;
        return inet_pton(AF_INET, a.host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
    }
    if (a.family == ParsedListenAddress::Family::Tcp6) return a.host == "::1";
    return false;
}

}  // namespace

struct MetricsServer::Connection {
    UniqueFd fd;
    EventSource io;
    EventSource deadline;
    std::string request;
    std::string reply;
    size_t sent = 0;
};

MetricsServer::MetricsServer(EventLoop& loop, Manager& manager, const OutputRouter& output, const std::string& address)
    : loop_(loop), manager_(manager), output_(output) {
    std::string why;
    auto parsed = parse_listen_address(address, &why);
    if (!parsed)
        throw Error(Error::Kind::InvalidSpec, "metrics_listen '" + address + "' in pmd.toml: " + why);
    if (!is_loopback(*parsed))
        throw Error(Error::Kind::InvalidSpec, "metrics_listen '" + address +
                                                  "' in pmd.toml is not a loopback address; the endpoint has no "
                                                  "authentication, so pmd serves it on 127.0.0.1 or [::1] only "
                                                  "(put a proxy in front to expose it)");
    try {
        socket_ = ListenSocketSet::bind_all({ListenAddress{address, "metrics"}}, "metrics");
    } catch (const Error& e) {
        throw Error(Error::Kind::Failed, std::string("metrics_listen in pmd.toml: ") + e.what() +
                                             "; is the port in use? choose another one or leave metrics_listen empty");
    }
    int fd = socket_.fds().front();
    // The loop must never block in accept when a client gave up between poll and accept.
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    port_ = parsed->port;
    accept_watch_ = loop_.add_io(fd, EPOLLIN, [this](uint32_t) { accept_all(); });
    spdlog::info("serving Prometheus metrics on http://{}:{}/metrics", parsed->host, parsed->port);
}

MetricsServer::~MetricsServer() = default;

void MetricsServer::accept_all() {
    for (;;) {
        UniqueFd fd(accept4(socket_.fds().front(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) return;  // EAGAIN: all taken; anything else: the client is gone already
        if (connections_.size() >= kMaxConnections) continue;  // closed by UniqueFd
        uint64_t id = next_id_++;
        auto c = std::make_unique<Connection>();
        c->io = loop_.add_io(fd.get(), EPOLLIN, [this, id](uint32_t events) {
            if (events & EPOLLOUT) on_writable(id);
            else on_readable(id);
        });
        c->deadline = loop_.add_timer(kRequestTimeout, [this, id] { close(id); });
        c->fd = std::move(fd);
        connections_[id] = std::move(c);
    }
}

void MetricsServer::on_readable(uint64_t id) {
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    Connection& c = *it->second;
    char buf[2048];
    ssize_t n = ::read(c.fd.get(), buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        close(id);
        return;
    }
    c.request.append(buf, static_cast<size_t>(n));
    if (c.request.find("\r\n\r\n") == std::string::npos && c.request.find("\n\n") == std::string::npos) {
        if (c.request.size() > kMaxRequest) close(id);
        return;
    }
    // Only the request line matters: "GET /metrics HTTP/1.1" (a query string is ignored).
    std::string line = c.request.substr(0, c.request.find_first_of("\r\n"));
    std::string method = line.substr(0, line.find(' '));
    std::string target = line.size() > method.size() ? line.substr(method.size() + 1) : "";
    target = target.substr(0, target.find_first_of(" ?"));
    if (method != "GET" && method != "HEAD")
        c.reply = response("405 Method Not Allowed", "text/plain", "only GET\n");
    else if (target != "/metrics")
        c.reply = response("404 Not Found", "text/plain", "pmd serves /metrics only\n");
    else
        c.reply = response("200 OK", "text/plain; version=0.0.4; charset=utf-8",
                           render_prometheus(collect_metrics(manager_, output_)));
    if (method == "HEAD") c.reply.resize(c.reply.find("\r\n\r\n") + 4);
    c.request.clear();
    c.io.set_io_events(EPOLLOUT);
    on_writable(id);
}

void MetricsServer::on_writable(uint64_t id) {
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    Connection& c = *it->second;
    while (c.sent < c.reply.size()) {
        ssize_t n = ::send(c.fd.get(), c.reply.data() + c.sent, c.reply.size() - c.sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;  // EPOLLOUT calls again
        if (n <= 0) break;
        c.sent += static_cast<size_t>(n);
    }
    close(id);
}

void MetricsServer::close(uint64_t id) { connections_.erase(id); }

}  // namespace pmd
