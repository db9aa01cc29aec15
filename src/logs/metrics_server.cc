#include "logs/metrics_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include "base/error.h"
#include "config/listen_address.h"
#include "logs/metrics_snapshot.h"

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

}  // namespace

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
    refresh();
    server_ = std::make_unique<httplib::Server>();
    server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
        std::string text;
        {
            std::lock_guard lock(mutex_);
            text = text_;
        }
        res.set_content(text, "text/plain; version=0.0.4; charset=utf-8");
    });
    if (!server_->bind_to_port(parsed->host.c_str(), parsed->port))
        throw Error(Error::Kind::Failed, "cannot listen on " + address + " for metrics (metrics_listen in pmd.toml): "
                                         "is the port in use? choose another one or leave metrics_listen empty");
    port_ = parsed->port;
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    spdlog::info("serving Prometheus metrics on http://{}:{}/metrics", parsed->host, parsed->port);
}

MetricsServer::~MetricsServer() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
}

void MetricsServer::refresh() {
    std::string text = render_prometheus(collect_metrics(manager_, output_));
    {
        std::lock_guard lock(mutex_);
        text_ = std::move(text);
    }
    timer_ = loop_.add_timer(std::chrono::seconds(1), [this] { refresh(); });
}

}  // namespace pmd
