// MetricsServer: GET /metrics in the Prometheus text format on a loopback address
// (metrics_listen in pmd.toml, off by default), served by cpp-httplib from
// pmd-metrics-httplib.so (metrics/metrics_http.h), which pmd loads only when this object is made.
// httplib serves on its own threads; a scrape crosses into the event loop through a LoopRelay,
// so the Manager is read on the loop thread only, and waits at most kScrapeTimeout for it.
// Instance figures are readings at most a second old (Manager::stats reuses them).
//
// States: serving, or degraded (the module could not be loaded: pmd logged why and runs
// without metrics; a production pmd keeps its apps supervised over a missing endpoint).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "base/shared_module.h"
#include "event/loop_relay.h"
#include "metrics/metrics_http.h"

namespace pmd {

class EventLoop;
class Manager;
class OutputRouter;

class MetricsServer {
public:
    static constexpr std::chrono::seconds kScrapeTimeout{5};

    // address: "tcp:127.0.0.1:9615" or "tcp6:[::1]:9615"; throws Error (InvalidSpec) for a
    // malformed or non-loopback address, Error (Failed) when it cannot bind. A module that
    // cannot be loaded is logged as an error and leaves the server degraded.
    MetricsServer(EventLoop& loop, Manager& manager, const OutputRouter& output, const std::string& address);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    bool serving() const { return server_ != nullptr; }

    // PMD_METRICS_MODULE in pmd's environment (tests); for a pmd that is not the installed
    // binary, the module its build tree made, if there; else the installed module.
    static std::string module_path();

private:
    // Destroyed in reverse: the server (its threads joined) before the relay it calls, and
    // both before the module that holds the server's code is unloaded.
    SharedModule module_;
    LoopRelay relay_;
    std::unique_ptr<MetricsHttpServer> server_;
};

}  // namespace pmd
