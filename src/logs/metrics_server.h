// MetricsServer: GET /metrics in the Prometheus text format on a loopback address
// (metrics_listen in pmd.toml, off by default). cpp-httplib serves from its own threads; those
// threads never touch the Manager. The event loop builds a MetricsSnapshot once a second (a
// timer that exists only while the endpoint is on), renders it, and publishes the text under
// a mutex; a scrape copies the latest text. So a scrape costs the loop nothing and sees
// figures at most a second old.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "event/event_loop.h"

namespace httplib {
class Server;
}

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
    void refresh();

    EventLoop& loop_;
    Manager& manager_;
    const OutputRouter& output_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    EventSource timer_;
    int port_ = 0;
    std::mutex mutex_;
    std::string text_;  // guarded by mutex_
};

}  // namespace pmd
