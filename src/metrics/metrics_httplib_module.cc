// pmd-metrics-httplib.so: GET /metrics served by cpp-httplib (metrics/metrics_http.h says why this
// is a module). It knows nothing of the Manager: every scrape asks pmd through MetricsScrape,
// which renders on pmd's event loop.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <httplib.h>

#include <atomic>
#include <memory>
#include <thread>
#include <type_traits>

#include "metrics/metrics_http.h"

namespace pmd {
namespace {

// Scrapers are few and a scrape is answered in milliseconds; two threads let one slow client
// not hold up the next.
constexpr size_t kServerThreads = 2;

class HttplibMetricsServer final : public MetricsHttpServer {
public:
    explicit HttplibMetricsServer(MetricsScrape scrape) : scrape_(std::move(scrape)) {
        server_.new_task_queue = [] { return new httplib::ThreadPool(kServerThreads); };
        // One request per connection and short timeouts: an idle keep-alive connection would
        // hold a thread, and stopping the server waits for its threads.
        server_.set_keep_alive_max_count(1);
        server_.set_read_timeout(2, 0);
        server_.set_write_timeout(2, 0);
        server_.set_payload_max_length(8192);
        // httplib's sockets are not close-on-exec; its listening socket must not survive pmd's
        // re-exec, or the next pmd could not bind the port again.
        server_.set_socket_options([](int sock) {
            int yes = 1;
            ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
            ::fcntl(sock, F_SETFD, FD_CLOEXEC);
        });
        server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
            std::optional<std::string> text = scrape_();
            if (text) {
                res.set_content(std::move(*text), "text/plain; version=0.0.4; charset=utf-8");
            } else {
                res.status = 503;
                res.set_content("pmd did not answer in time; try again\n", "text/plain");
            }
        });
        server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
            if (res.status == 404) res.set_content("pmd serves /metrics only\n", "text/plain");
        });
    }

    bool start(const std::string& host, int port, std::string& error) {
        if (!server_.bind_to_port(host, port)) {
            error = "cannot listen on " + host + ":" + std::to_string(port);
            return false;
        }
        // The server's threads take no signal: pmd's loop reads SIGTERM and the others through
        // a signalfd, which works only while every thread blocks them, and a thread started
        // before the loop blocked SIGTERM would otherwise take it and die with the process.
        // The pool's threads are started by this one and inherit its mask.
        sigset_t all, previous;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &previous);
        thread_ = std::thread([this] {
            server_.listen_after_bind();
            finished_ = true;
        });
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        // httplib's stop() does nothing until listen_after_bind has marked the server running:
        // wait for that, so destroying the server right after start cannot leave it serving.
        while (!server_.is_running() && !finished_) std::this_thread::yield();
        return true;
    }

    ~HttplibMetricsServer() override {
        server_.stop();
        if (thread_.joinable()) thread_.join();
    }

private:
    MetricsScrape scrape_;
    httplib::Server server_;
    std::thread thread_;
    std::atomic<bool> finished_{false};
};

}  // namespace
}  // namespace pmd

extern "C" __attribute__((visibility("default"))) pmd::MetricsHttpServer* pmd_metrics_http_start_v1(
    const std::string& host, int port, pmd::MetricsScrape scrape, std::string& error) {
    try {
        auto server = std::make_unique<pmd::HttplibMetricsServer>(std::move(scrape));
        if (!server->start(host, port, error)) return nullptr;
        return server.release();
    } catch (const std::exception& e) {
        error = e.what();
        return nullptr;
    }
}

// The entry point's type is the one pmd looks up.
static_assert(std::is_same_v<decltype(&pmd_metrics_http_start_v1), pmd::MetricsHttpStart>);
