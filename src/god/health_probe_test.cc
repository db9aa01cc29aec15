#include "god/health_probe.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>

#include "god/health_check.h"

namespace pmd {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

TEST(HealthProbe, StatusLines) {
    EXPECT_EQ(parse_status_line("HTTP/1.1 200 OK\r"), 200);
    EXPECT_EQ(parse_status_line("HTTP/1.0 503"), 503);
    EXPECT_EQ(parse_status_line("SSH-2.0-OpenSSH"), -1);
    EXPECT_EQ(parse_status_line("HTTP/1.1 20x"), -1);
    EXPECT_TRUE(status_ok(204, 0));
    EXPECT_TRUE(status_ok(302, 0));
    EXPECT_FALSE(status_ok(500, 0));
    EXPECT_TRUE(status_ok(418, 418));
    EXPECT_FALSE(status_ok(200, 418));
}

// A loopback listener; `reply` (if any) is sent to each connection after reading the request.
struct Server {
    int fd = -1;
    uint16_t port = 0;
    std::thread thread;
    explicit Server(std::optional<std::string> reply) {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        listen(fd, 8);
        socklen_t len = sizeof a;
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
        if (reply)
            thread = std::thread([this, r = *reply] {
                int c = accept(fd, nullptr, nullptr);
                if (c < 0) return;
                char buf[1024];
                (void)!read(c, buf, sizeof buf);
                (void)!write(c, r.data(), r.size());
                close(c);
            });
    }
    ~Server() {
        shutdown(fd, SHUT_RDWR);
        if (thread.joinable()) thread.join();
        close(fd);
    }
};

ProbeResult run_http(const std::string& url, uint16_t expected, std::chrono::milliseconds timeout) {
    EventLoop loop;
    ProbeResult out{false, "not run"};
    auto probe = start_http_probe(loop, *parse_http_url(url), expected, timeout, [&](ProbeResult r) {
        out = r;
        loop.exit(0);
    });
    loop.run();
    return out;
}

TEST(HealthProbe, HttpStatusDecides) {
    {
        Server s(std::string("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
        auto r = run_http("http://127.0.0.1:" + std::to_string(s.port) + "/", 0, 2s);
        EXPECT_TRUE(r.ok);
        EXPECT_EQ(r.message, "HTTP 200");
    }
    {
        Server s(std::string("HTTP/1.1 503 Service Unavailable\r\n\r\n"));
        auto r = run_http("http://127.0.0.1:" + std::to_string(s.port) + "/", 0, 2s);
        EXPECT_FALSE(r.ok);
        EXPECT_EQ(r.message, "HTTP 503");
    }
}

TEST(HealthProbe, HttpTimesOutWhenNothingAnswers) {
    Server s(std::nullopt);  // accepts into the backlog, never replies
    auto r = run_http("http://127.0.0.1:" + std::to_string(s.port) + "/", 0, 200ms);
    EXPECT_FALSE(r.ok);
    EXPECT_THAT(r.message, HasSubstr("timed out"));
}

TEST(HealthProbe, TcpRefusedAndAccepted) {
    EventLoop loop;
    uint16_t closed_port;
    {
        Server gone(std::nullopt);
        closed_port = gone.port;
    }
    Server open(std::nullopt);
    std::vector<ProbeResult> results;
    auto address = [](uint16_t port) {
        sockaddr_storage s{};
        auto* v4 = reinterpret_cast<sockaddr_in*>(&s);
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return s;
    };
    auto done = [&](ProbeResult r) {
        results.push_back(r);
        if (results.size() == 2) loop.exit(0);
    };
    auto a = start_tcp_probe(loop, address(closed_port), sizeof(sockaddr_in), 2s, done);
    auto b = start_tcp_probe(loop, address(open.port), sizeof(sockaddr_in), 2s, done);
    loop.run();
    ASSERT_EQ(results.size(), 2u);
    int ok = results[0].ok + results[1].ok;
    EXPECT_EQ(ok, 1);
    for (auto& r : results) {
        if (!r.ok) {
            EXPECT_THAT(r.message, HasSubstr("refused"));
        }
    }
}

TEST(HealthProbe, ExecExitCodeAndTimeout) {
    EventLoop loop;
    // The three probes run at once and may finish in any order on a busy machine: each result
    // is kept under its probe's name.
    std::map<std::string, ProbeResult> results;
    auto done_for = [&](std::string name) {
        return [&results, &loop, name](ProbeResult r) {
            results.emplace(name, r);
            if (results.size() == 3) loop.exit(0);
        };
    };
    auto req = [](std::vector<std::string> argv) {
        SpawnRequest r;
        r.path = resolve_executable(argv[0], "/", {});
        r.argv = argv;
        return r;
    };
    auto a = start_exec_probe(loop, req({"true"}), 2s, done_for("true"));
    auto b = start_exec_probe(loop, req({"sh", "-c", "exit 3"}), 2s, done_for("exit 3"));
    auto c = start_exec_probe(loop, req({"sleep", "30"}), 200ms, done_for("sleep"));
    loop.run();
    ASSERT_EQ(results.size(), 3u);
    EXPECT_TRUE(results.at("true").ok);
    EXPECT_FALSE(results.at("exit 3").ok);
    EXPECT_EQ(results.at("exit 3").message, "exited with status 3");
    EXPECT_FALSE(results.at("sleep").ok);
    EXPECT_THAT(results.at("sleep").message, HasSubstr("timed out"));
}

TEST(HealthChecker, TurnsUnhealthyAfterFailuresInARowAndBack) {
    EventLoop loop;
    HealthCheck hc;
    hc.interval = 10ms;
    hc.timeout = 10ms;
    hc.failures = 3;
    // Scripted probe answers: ok, fail, fail, fail, fail, ok.
    std::vector<bool> script = {true, false, false, false, false, true};
    size_t next = 0;
    std::vector<std::string> seen;
    std::unique_ptr<HealthChecker> checker;
    int unhealthy_calls = 0;
    struct Noop : Probe {};
    checker = std::make_unique<HealthChecker>(
        loop, hc,
        [&](ProbeDone done) -> std::unique_ptr<Probe> {
            bool ok = script[next++];
            done({ok, ok ? "fine" : "bad"});
            return std::make_unique<Noop>();
        },
        [&] {
            seen.push_back(health_name(checker->health()));
            if (next == script.size()) loop.exit(0);
        },
        [&](const std::string& why) {
            ++unhealthy_calls;
            EXPECT_THAT(why, HasSubstr("in a row (bad)"));
        });
    loop.run();
    EXPECT_EQ(seen, (std::vector<std::string>{"healthy", "unhealthy", "healthy"}));
    EXPECT_EQ(unhealthy_calls, 2);  // at the third and the fourth failure
}

}  // namespace
}  // namespace pmd
