#include "metrics/metrics_server.h"

#include <arpa/inet.h>

#include <cstdlib>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "base/error.h"
#include "config/listen_address.h"
#include "metrics/metrics_snapshot.h"

#ifndef PMD_METRICS_MODULE
#error "PMD_METRICS_MODULE (the installed pmd-metrics-httplib.so) is set by src/metrics/CMakeLists.txt"
#endif

namespace pmd {
namespace {

bool is_loopback(const ParsedListenAddress& a) {
    if (a.family == ParsedListenAddress::Family::Tcp) {
        in_addr v4{};
        if (a.host == "localhost") return true;
        return inet_pton(AF_INET, a.host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
    }
    if (a.family == ParsedListenAddress::Family::Tcp6) return a.host == "::1";
    return false;
}

ParsedListenAddress checked_address(const std::string& address) {
    std::string why;
    auto parsed = parse_listen_address(address, &why);
    if (!parsed)
        throw Error(Error::Kind::InvalidSpec, "metrics_listen '" + address + "' in pmd.toml: " + why);
    if (!is_loopback(*parsed))
        throw Error(Error::Kind::InvalidSpec, "metrics_listen '" + address +
                                                  "' in pmd.toml is not a loopback address; the endpoint has no "
                                                  "authentication, so pmd serves it on 127.0.0.1 or [::1] only "
                                                  "(put a proxy in front to expose it)");
    return *parsed;
}

}  // namespace

std::string MetricsServer::module_path() {
    const char* path = std::getenv("PMD_METRICS_MODULE");
    if (path && *path) return path;
    // A pmd that is not the installed one runs from its build tree: the module built with it
    // sits where the build puts it. An installed module (if any) may be of another version.
    std::error_code ec;
    std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec && self != PMD_INSTALLED_BINARY) {
        std::filesystem::path built = (self.parent_path() / PMD_METRICS_MODULE_FROM_BINARY).lexically_normal();
        if (std::filesystem::is_regular_file(built, ec)) return built.string();
    }
    return PMD_METRICS_MODULE;
}

MetricsServer::MetricsServer(EventLoop& loop, Manager& manager, const OutputRouter& output, const std::string& address)
    : relay_(loop, [&manager, &output] { return render_prometheus(collect_metrics(manager, output)); }) {
    // The address is checked before anything is loaded: a wrong pmd.toml is refused the same
    // with or without the module.
    ParsedListenAddress parsed = checked_address(address);
    const std::string path = module_path();
    MetricsHttpStart start = nullptr;
    try {
        module_ = SharedModule::open(path);
        start = reinterpret_cast<MetricsHttpStart>(module_.symbol(kMetricsHttpStartSymbol));
    } catch (const Error& e) {
        module_ = SharedModule();
        spdlog::error("metrics_listen is set but the metrics module cannot be used: {}; pmd runs without "
                      "/metrics (install the pmd package's {} with its libcpp-httplib dependency, or leave "
                      "metrics_listen empty)",
                      e.what(), path);
        return;
    }
    std::string error;
    MetricsScrape scrape = [this] { return relay_.call(kScrapeTimeout); };
    server_.reset(start(parsed.host, parsed.port, std::move(scrape), error));
    if (!server_)
        throw Error(Error::Kind::Failed, "metrics_listen '" + address + "' in pmd.toml: " + error +
                                             "; is the port in use? choose another one or leave metrics_listen empty");
    spdlog::info("serving Prometheus metrics on http://{}:{}/metrics (cpp-httplib, {})", parsed.host, parsed.port, path);
}

MetricsServer::~MetricsServer() {
    // Scrapes waiting for the loop give up first, so stopping the server need not wait for them.
    relay_.close();
    server_.reset();
}

}  // namespace pmd
