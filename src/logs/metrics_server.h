// MetricsServer: GET /metrics in the Prometheus text format on a loopback address
// (metrics_listen in pmd.toml, off by default). It is a few lines of HTTP/1.0-style serving on
// the daemon's own event loop (one request per connection, then close), not an HTTP library:
// cpp-httplib as Debian ships it links OpenSSL, zlib and brotli into the daemon, 3.8 MiB of
// resident pages in every pmd for an endpoint that is off by default (docs/benchmarks.md).
// A scrape renders a fresh snapshot; the instance figures come from Manager::stats, which
// reuses readings younger than a second.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "cluster/listen_socket_set.h"
#include "event/event_loop.h"

namespace pmd {

class Manager;
class OutputRouter;

class MetricsServer {
public:
    // address: "tcp:127.0.0.1:9615" or "tcp6:[::1]:9615"; throws Error (InvalidSpec) for a
    // malformed or non-loopback address, Error (Failed) when it cannot bind.
    MetricsServer(EventLoop& loop, Manager& manager, const OutputRouter& output, const std::string& address);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    int port() const { return port_; }

private:
    struct Connection;
    void accept_all();
    void on_readable(uint64_t id);
    void on_writable(uint64_t id);
    void close(uint64_t id);

    EventLoop& loop_;
    Manager& manager_;
    const OutputRouter& output_;
    ListenSocketSet socket_;
    EventSource accept_watch_;
    std::map<uint64_t, std::unique_ptr<Connection>> connections_;
    uint64_t next_id_ = 1;
    int port_ = 0;
};

}  // namespace pmd
