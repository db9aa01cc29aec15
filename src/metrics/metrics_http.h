// The seam between pmd and pmd-metrics-httplib.so, the module that serves GET /metrics with
// cpp-httplib. Debian's cpp-httplib links OpenSSL, zlib and brotli (3.8 MiB resident); living
// in a module the daemon dlopen()s only when metrics_listen is set, they cost nothing in a pmd
// without metrics. The module is built from the same tree as pmd and installed with it, so
// C++ types cross the seam; the entry point's name carries a version for the day they change.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace pmd {

// Called on one of the server's threads for every GET /metrics: the exposition text, or
// nullopt when pmd cannot answer now (the server replies 503).
using MetricsScrape = std::function<std::optional<std::string>()>;

// A running server: its threads serve until it is destroyed (which stops and joins them).
class MetricsHttpServer {
public:
    virtual ~MetricsHttpServer() = default;
};

// The module's entry point, found with dlsym(kMetricsHttpStartSymbol). Binds host:port before
// it returns; on failure returns nullptr and says why in `error`.
using MetricsHttpStart = MetricsHttpServer* (*)(const std::string& host, int port, MetricsScrape scrape,
                                                std::string& error);
inline constexpr char kMetricsHttpStartSymbol[] = "pmd_metrics_http_start_v1";

}  // namespace pmd
