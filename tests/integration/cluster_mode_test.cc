// exec_mode = "cluster" for unchanged servers: each instance calls bind()/listen() on PORT
// itself, and the preload library pmd gives cluster-mode instances makes them all share one
// socket pmd keeps. Real pmd, real runtimes (node, python3, php), real sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/un.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "base/unique_fd.h"

#include "cluster_fixture.h"
#include "pmd_harness.h"

namespace pmd::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The pid an answer names: the test servers answer with their pid alone, examples/cluster/app.py
// with "hello from instance N (pid P)".
int32_t served_pid(const std::string& body) {
    size_t at = body.find("(pid ");
    return std::stoi(at == std::string::npos ? body : body.substr(at + 5));
}

class ClusterModeTest : public ClusterFixture {
protected:
    VariantDict cluster_app(const std::string& name, std::vector<std::string> command, int instances) {
        VariantDict s;
        s["name"] = sdbus::Variant(name);
        s["command"] = sdbus::Variant(std::move(command));
        s["cwd"] = sdbus::Variant(std::string(APPS_DIR));
        s["instances"] = sdbus::Variant(int64_t{instances});
        s["exec_mode"] = sdbus::Variant(std::string("cluster"));
        s["env"] = sdbus::Variant(std::map<std::string, std::string>{{"PORT", std::to_string(port)}, {"HOST", "127.0.0.1"}});
        // Ready must come from listen(), long before this.
        s["listen_timeout"] = sdbus::Variant(std::string("10m"));
        s["kill_timeout"] = sdbus::Variant(std::string("5s"));
        return s;
    }

    // Sends concurrent requests until every instance has answered at least once: the pids
    // seen (all of them instances' pids), or fewer on deadline.
    // main_pids: the server is the instance's main process (not behind a wrapper).
    std::set<int32_t> serving_pids(const std::string& name, size_t want, bool main_pids = true) {
        std::set<int32_t> seen;
        std::set<int32_t> expected = pids(name);
        h.wait_until([&] {
            std::vector<std::string> bodies(8);
            std::vector<std::thread> clients;
            for (auto& b : bodies) clients.emplace_back([&b, this] { b = http_get(port); });
            for (auto& c : clients) c.join();
            for (auto& b : bodies) {
                EXPECT_FALSE(b.empty()) << "a request failed";
                if (!b.empty()) seen.insert(served_pid(b));
            }
            return seen.size() >= want;
        }, 30s);
        for (int32_t pid : seen) EXPECT_TRUE(!main_pids || expected.count(pid)) << "pid " << pid << " is not an instance of " << name;
        return seen;
    }

    // Client loops against the port while `operation` runs: the requests answered and failed.
    std::pair<int, int> under_load(const std::function<void()>& operation) {
        std::atomic<bool> done{false};
        std::atomic<int> ok{0}, failed{0};
        std::vector<std::thread> load;
        for (int t = 0; t < 4; ++t)
            load.emplace_back([&] {
                while (!done) (http_get(port).empty() ? failed : ok)++;
            });
        operation();
        done = true;
        for (auto& t : load) t.join();
        return {ok.load(), failed.load()};
    }

    // Four instances of an unchanged server on one port: all online and ready (from their
    // listen(), not listen_timeout), none restarted (no EADDRINUSE), all four answering.
    void four_share_one_port(const std::string& name, std::vector<std::string> command, bool main_pids = true) {
        h.start_app(cluster_app(name, std::move(command), 4));
        ASSERT_TRUE(h.wait_until([&] { return all_ready(name, 4); }, 30s)) << h.pmctl({"describe", name}).out;
        EXPECT_EQ(serving_pids(name, 4, main_pids).size(), 4u);
        for (auto& i : h.instances(name)) EXPECT_EQ(field<uint32_t>(i, "restarts"), 0u);
        EXPECT_TRUE(h.exits().empty()) << "an instance exited: " << h.exits().front().reason;
    }

};

TEST_F(ClusterModeTest, UnchangedNodeServerFourInstancesOnePort) {
    four_share_one_port("node", {"node", "pid_server.js"});
    EXPECT_THAT(h.pmd_log(), HasSubstr(":" + std::to_string(port) + "; its app's instances share it from now on"));
}

TEST_F(ClusterModeTest, UnchangedPythonHttpServerFourInstancesOnePort) {
    four_share_one_port("python", {"python3", CLUSTER_EXAMPLE_PY});
}

// The command line of the issue: `pmctl start server.py -i 2 --cluster`, a Python http.server
// that binds a fixed port itself; both instances serve on it, none dies of EADDRINUSE.
TEST_F(ClusterModeTest, PmctlStartScriptWithClusterSharesThePortTheScriptBinds) {
    auto script = std::string(CLUSTER_EXAMPLE_PY);  // binds HOST:PORT itself without LISTEN_FDS
    auto r = h.pmctl({"start", script, "-i", "2", "--cluster", "--env", "PORT=" + std::to_string(port), "--kill-timeout", "5s"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Started app"));
    ASSERT_TRUE(h.wait_until([&] { return all_ready("app", 2); }, 30s)) << h.pmctl({"describe", "app"}).out;
    EXPECT_EQ(serving_pids("app", 2).size(), 2u);
    for (auto& i : h.instances("app")) EXPECT_EQ(field<uint32_t>(i, "restarts"), 0u);
    EXPECT_TRUE(h.exits().empty()) << "an instance exited: " << h.exits().front().reason;
}

// The exec mode each command line gives, as the spec pmd keeps shows it: --exec-mode (PM2's
// spellings too), -x for fork, and PM2's default of cluster for a node script with -i.
TEST_F(ClusterModeTest, PmctlExecModeFlagsMapToExecMode) {
    auto mode_of = [&](const std::string& app) {
        auto r = h.pmctl({"describe", app, "--json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return std::string(r.out.find("\"exec_mode\": \"cluster\"") != std::string::npos ? "cluster" : "fork");
    };
    auto node_script = std::string(APPS_DIR) + "/pid_server.js";
    auto env = "PORT=" + std::to_string(port);
    ASSERT_EQ(h.pmctl({"start", "-n", "a", "--exec-mode", "cluster_mode", "--", "sleep", "1000"}).exit_code, 0);
    ASSERT_EQ(h.pmctl({"start", "-n", "b", "--exec-mode", "fork", "--", "sleep", "1000"}).exit_code, 0);
    ASSERT_EQ(h.pmctl({"start", "-n", "c", "-i", "2", "--env", env, node_script}).exit_code, 0);  // --env takes one word
    ASSERT_EQ(h.pmctl({"start", "-n", "d", "-i", "2", "-x", "--", "sleep", "1000"}).exit_code, 0);
    ASSERT_EQ(h.pmctl({"start", "-n", "e", "--", "sleep", "1000"}).exit_code, 0);
    EXPECT_EQ(mode_of("a"), "cluster");
    EXPECT_EQ(mode_of("b"), "fork");
    EXPECT_EQ(mode_of("c"), "cluster");  // as `pm2 start app.js -i 2`
    EXPECT_EQ(mode_of("d"), "fork");
    EXPECT_EQ(mode_of("e"), "fork");
    auto bad = h.pmctl({"start", "-n", "f", "--exec-mode", "forked", "--", "sleep", "1000"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_THAT(bad.err, HasSubstr("forked"));
    EXPECT_EQ(h.pmctl({"start", "-n", "g", "--cluster", "-x", "--", "sleep", "1000"}).exit_code, 2);
}

TEST_F(ClusterModeTest, UnchangedPhpBuiltinServerFourInstancesOnePort) {
    if (std::system("php --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "php-cli is not installed (scripts/install-deps)";
    four_share_one_port("php", {"php", "-S", "127.0.0.1:" + std::to_string(port), "pid.php"});
}

// Through a wrapper (sh → node), as `npm start` does: the environment and so the library are
// inherited, and the node process is known by its cgroup, not by being the main pid.
TEST_F(ClusterModeTest, ServerBehindAShellWrapperShares) {
    four_share_one_port("wrapped", {"sh", "-c", "node pid_server.js; exit $?"}, false);
}

// A rolling reload under load: every request answered, every instance replaced; and with
// listen_timeout at 10 minutes the reload can only finish because listen() made each
// replacement ready.
TEST_F(ClusterModeTest, RollingReloadUnderLoadLosesNoRequest) {
    h.start_app(cluster_app("web", {"node", "pid_server.js"}, 4));
    ASSERT_TRUE(h.wait_until([&] { return all_ready("web", 4); }, 30s));
    auto before = pids("web");
    ASSERT_FALSE(http_get(port).empty());

    CommandResult r;
    auto [ok, failed] = under_load([&] {
        r = h.pmctl({"reload", "web"});
        r = r.exit_code == 0 ? h.pmctl({"reload", "web"}) : r;
    });
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(failed, 0) << ok << " requests served";
    EXPECT_GT(ok, 0);
    auto after = pids("web");
    ASSERT_EQ(after.size(), 4u);
    for (int32_t pid : before) EXPECT_FALSE(after.count(pid)) << "pid " << pid << " survived the reload";
    EXPECT_TRUE(all_ready("web", 4));
    std::cout << "[ figures ] " << ok << " requests served during two rolling reloads of 4 instances, " << failed
              << " failed\n";
    EXPECT_EQ(serving_pids("web", 4).size(), 4u);
}

// One client connection kept alive, as wrk and browsers keep theirs: a request, its answer,
// the next request on the same connection. A connection that closes or resets before an
// answer is cut; the client then connects again, as they do.
class KeepAliveClient {
public:
    explicit KeepAliveClient(uint16_t port) : port_(port) {}

    bool connect() {
        fd_ = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        struct timeval tv{10, 0};
        setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        struct sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port_);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }

    // One request and its whole answer on the open connection: the body, or nothing if cut.
    std::optional<std::string> exchange() {
        const std::string req = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        if (send(fd_.get(), req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) return std::nullopt;
        std::string in;
        char buf[512];
        size_t head_end = std::string::npos, length = 0;
        while (head_end == std::string::npos || in.size() < head_end + 4 + length) {
            ssize_t n = read(fd_.get(), buf, sizeof buf);
            if (n <= 0) return std::nullopt;
            in.append(buf, static_cast<size_t>(n));
            if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
                size_t at = in.find("Content-Length: ");
                if (at == std::string::npos || at > head_end) return std::nullopt;
                length = std::stoul(in.substr(at + 16));
            }
        }
        return in.substr(head_end + 4, length);
    }

private:
    uint16_t port_;
    UniqueFd fd_;
};

// A rolling reload of an app that exits at once on its stop signal (node's default for SIGINT,
// as a naive server does), under keep-alive clients: every connection an old instance held is
// cut when it stops, and the clients connect again. The kernel hands a reconnection to a
// still-running old instance as readily as to a new one, so replacing one slot at a time cut
// most connections two or three times; pmd keeps every old instance until all four
// replacements are ready, then stops them together (frozen while it signals them), so each is
// cut once at most. pmd's log shows the order: all new instances ready, then the first old one
// gone.
TEST_F(ClusterModeTest, ReloadOfAnAppThatExitsAtOnceCutsEachConnectionOnceAtMost) {
    VariantDict s = cluster_app("naive", {"node", "pid_server.js"}, 4);
    s["stop_signal"] = sdbus::Variant(std::string("SIGINT"));
    h.start_app(s);
    ASSERT_TRUE(h.wait_until([&] { return all_ready("naive", 4); }, 30s));
    auto before = pids("naive");

    constexpr int clients = 8;
    std::atomic<bool> done{false};
    std::atomic<int> connected{0}, refused{0};
    std::vector<int> cuts(clients, 0), answers(clients, 0);
    std::vector<std::thread> load;
    for (int c = 0; c < clients; ++c)
        load.emplace_back([&, c] {
            KeepAliveClient client(port);
            if (!client.connect() || !client.exchange()) {
                ++refused;
                ++connected;
                return;
            }
            ++connected;
            while (!done) {
                if (client.exchange()) {
                    ++answers[c];
                    continue;
                }
                ++cuts[c];
                if (!client.connect()) ++refused;
            }
        });
    ASSERT_TRUE(h.wait_until([&] { return connected == clients; }, 30s));
    auto r = h.pmctl({"reload", "naive"});
    done = true;
    for (auto& t : load) t.join();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(refused, 0);

    // The old instances are frozen while pmd signals them one after another, so a connection
    // one of them cut cannot reconnect to another not yet signalled: each is cut once at most.
    int total = 0, cut_twice = 0;
    for (int c = 0; c < clients; ++c) {
        EXPECT_LE(cuts[c], 1) << "client " << c << " was cut " << cuts[c] << " times in one reload";
        total += cuts[c];
        cut_twice += cuts[c] > 1;
    }
    // The app does cut what it holds: without a cut this test could not fail.
    EXPECT_GT(total, 0);
    std::cout << "[ figures ] one rolling reload of 4 instances under " << clients << " keep-alive clients: " << total
              << " connection(s) cut, " << cut_twice << " of them more than once\n";

    auto after = pids("naive");
    ASSERT_EQ(after.size(), 4u);
    for (int32_t pid : before) EXPECT_FALSE(after.count(pid)) << "pid " << pid << " survived the reload";
    std::string log = h.pmd_log();
    size_t all_ready_at = log.find("app naive: reload: all 4 new instance(s) ready; stopping the old ones");
    ASSERT_NE(all_ready_at, std::string::npos) << log;
    for (int32_t pid : before) {
        size_t exit_at = log.find(": pid " + std::to_string(pid) + " killed");
        if (exit_at == std::string::npos) exit_at = log.find(": pid " + std::to_string(pid) + " exited");
        ASSERT_NE(exit_at, std::string::npos) << "no exit of old pid " << pid << " in pmd's log";
        EXPECT_GT(exit_at, all_ready_at) << "old pid " << pid << " stopped before every new instance was ready";
    }
}

// A unix socket path is bound once, by the first instance, and shared as a TCP port is; delete
// removes the file that bind created.
TEST_F(ClusterModeTest, UnixSocketPathIsSharedAndRemovedByDelete) {
    auto path = (h.dir() / "app.sock").string();
    VariantDict s = cluster_app("unix", {"python3", "unix_pid_server.py"}, 3);
    s["env"] = sdbus::Variant(std::map<std::string, std::string>{{"SOCKET_PATH", path}});
    h.start_app(s);
    ASSERT_TRUE(h.wait_until([&] { return all_ready("unix", 3); }, 30s));
    auto expected = pids("unix");
    std::set<int32_t> seen;
    ASSERT_TRUE(h.wait_until([&] {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
        char buf[32] = "";
        if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && read(fd, buf, sizeof buf - 1) > 0)
            seen.insert(std::atoi(buf));
        close(fd);
        return seen.size() == 3;
    }, 30s));
    EXPECT_EQ(seen, expected);
    EXPECT_TRUE(h.exits().empty());
    ASSERT_EQ(h.pmctl({"delete", "unix"}).exit_code, 0);
    EXPECT_FALSE(std::filesystem::exists(path));
}

// The sockets the instances bound survive pmd's replacement: after daemon-reexec, a reload's
// new instances still get them (no EADDRINUSE) and every instance serves.
TEST_F(ClusterModeTest, SharedSocketsSurviveReexec) {
    h.start_app(cluster_app("web", {"node", "pid_server.js"}, 2));
    ASSERT_TRUE(h.wait_until([&] { return all_ready("web", 2); }, 30s));
    auto r = h.pmctl({"daemon-reexec"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto before = pids("web");
    r = h.pmctl({"reload", "web"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto after = pids("web");
    for (int32_t pid : before) EXPECT_FALSE(after.count(pid)) << "pid " << pid << " survived the reload";
    EXPECT_TRUE(all_ready("web", 2));
    EXPECT_EQ(serving_pids("web", 2).size(), 2u);
}

// After a kill -9 of pmd, the new pmd takes the shared socket back from the instances that
// hold it (behind a wrapper too), so replacements still share it.
TEST_F(ClusterModeTest, SharedSocketsComeBackAfterACrash) {
    h.start_app(cluster_app("web", {"sh", "-c", "node pid_server.js; exit $?"}, 2));
    ASSERT_TRUE(h.wait_until([&] { return all_ready("web", 2); }, 30s));
    pid_t old_pmd = h.pmd_pid();
    kill(old_pmd, SIGKILL);
    ASSERT_TRUE(wait_pid_gone(old_pmd, 10s));
    h.start_pmd();
    EXPECT_THAT(h.pmd_log(), HasSubstr("app web: took 1 shared socket(s) back from its instances"));
    ASSERT_TRUE(h.wait_until([&] { return all_ready("web", 2); }, 30s));
    auto before = pids("web");
    auto r = h.pmctl({"reload", "web"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto after = pids("web");
    for (int32_t pid : before) EXPECT_FALSE(after.count(pid)) << "pid " << pid << " survived the reload";
    EXPECT_EQ(serving_pids("web", 2, false).size(), 2u);
}

TEST_F(ClusterModeTest, StaticBinaryIsToldClearly) {
    h.start_app(cluster_app("static", {STATIC_SERVER}, 1));
    ASSERT_TRUE(h.wait_until([&] { return !http_get(port).empty(); }, 30s));
    EXPECT_THAT(h.pmd_log(), HasSubstr("is statically linked"));
    auto r = h.pmctl({"describe", "static"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Warning: exec_mode = \"cluster\": " + std::string(STATIC_SERVER) + " is statically linked"));
    EXPECT_THAT(r.out, HasSubstr("listen = [\"tcp:0.0.0.0:PORT\"]"));
    EXPECT_THAT(r.out, HasSubstr("LISTEN_FDS"));
    // A dynamic program gets no such warning.
    VariantDict s = cluster_app("dynamic", {"node", "pid_server.js"}, 1);
    s["env"] = sdbus::Variant(std::map<std::string, std::string>{{"PORT", std::to_string(free_port())}});
    h.start_app(s);
    EXPECT_THAT(h.pmctl({"describe", "dynamic"}).out, Not(HasSubstr("Warning")));
}

// An app running as nobody that binds port 80 gets EACCES, as the kernel answers it without
// pmd: the library adds no privilege.
TEST_F(ClusterModeTest, NonRootAppAskingForPort80IsRefusedLikeTheKernel) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to start an app as nobody";
    std::ifstream start_file("/proc/sys/net/ipv4/ip_unprivileged_port_start");
    int start = 1024;
    start_file >> start;
    if (start <= 80) GTEST_SKIP() << "port 80 is not privileged on this host";
    auto out = (h.dir() / "port80.log").string();
    const std::string script =
        "import errno, socket\n"
        "s = socket.socket()\n"
        "try:\n"
        "    s.bind(('127.0.0.1', 80)); s.listen(); print('bound', flush=True)\n"
        "except OSError as e:\n"
        "    print('bind:', errno.errorcode[e.errno], flush=True)\n";
    VariantDict s = cluster_app("port80", {"/usr/bin/python3", "-c", script}, 1);
    s["user"] = sdbus::Variant(std::string("nobody"));
    s["cwd"] = sdbus::Variant(std::string("/"));
    s["autorestart"] = sdbus::Variant(false);
    s["out_file"] = sdbus::Variant(out);
    h.start_app(s);
    std::string text;
    ASSERT_TRUE(h.wait_until([&] {
        std::ifstream in(out);
        std::stringstream ss;
        ss << in.rdbuf();
        text = ss.str();
        return text.find("bind:") != std::string::npos || text.find("bound") != std::string::npos;
    }, 30s));
    EXPECT_THAT(text, HasSubstr("bind: EACCES"));
}

// What a PM2 user does with the ecosystem file of an app they do not change: in the project's
// directory, `pmctl import ecosystem.config.js > apps.toml`, then `pmctl start apps.toml`.
class Pm2ClusterImport : public ClusterModeTest {
protected:
    void TearDown() override {
        if (HasFailure()) std::cerr << "--- apps.toml ---\n" << file_text(project_ / "apps.toml");
        ClusterModeTest::TearDown();
    }

    void import_and_start(const std::string& ecosystem) {
        put_file(project_ / "ecosystem.config.js", ecosystem);
        auto r = run_command({"sh", "-c", "cd '" + project_.string() + "' && " + PMCTL_BIN +
                                              " import ecosystem.config.js > apps.toml"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_THAT(r.err, Not(HasSubstr("needs a fix")));
        r = h.pmctl({"start", (project_ / "apps.toml").string()});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }

    // The instances of `name` in `pmctl ls --json`, and how many of them are online and ready.
    std::pair<size_t, size_t> listed_ready(const std::string& name) {
        auto r = h.pmctl({"ls", "--json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        for (const auto& a : nlohmann::json::parse(r.out)) {
            if (a.at("name") != name) continue;
            size_t ready = 0;
            for (const auto& i : a.at("instances")) ready += i.at("state") == "online" && i.at("ready") == true;
            return {a.at("instances").size(), ready};
        }
        return {0, 0};
    }

    bool listed_all_ready(const std::string& name, size_t count) {
        return listed_ready(name) == std::pair<size_t, size_t>{count, count};
    }

    // Four instances serve on the one port: all of them answer, none restarted.
    void four_serve(const std::string& name) {
        auto seen = serving_pids(name, 4);
        EXPECT_GT(seen.size(), 1u) << "requests reached one instance only";
        EXPECT_EQ(seen.size(), 4u);
        for (auto& i : h.instances(name)) EXPECT_EQ(field<uint32_t>(i, "restarts"), 0u);
        EXPECT_TRUE(h.exits().empty());
    }

    // under_load, where every request must be answered; the figures add up for the report.
    void lossless(const std::function<void()>& operation) {
        auto [ok, failed] = under_load(operation);
        EXPECT_EQ(failed, 0) << ok << " requests served";
        EXPECT_GT(ok, 0);
        served_ += ok;
        failed_ += failed;
    }

    std::string port_text() const { return std::to_string(port); }

    std::filesystem::path project_ = h.dir() / "project";
    int served_ = 0, failed_ = 0;
};

// An unchanged Node cluster app as PM2 runs it: listen(process.env.PORT), process.send('ready')
// once listening, and on SIGINT (PM2's stop signal, which the import keeps) it stops accepting,
// finishes its requests and exits.
constexpr const char* kPm2NodeApp =
    "const http = require('http');\n"
    "const server = http.createServer((req, res) => res.end(process.pid + '\\n'));\n"
    "server.listen(process.env.PORT, () => process.send('ready'));\n"
    "process.on('SIGINT', () => { console.log('draining ' + process.pid); server.close(() => process.exit(0)); });\n";

// An ecosystem.config.js of one app in PM2's cluster mode with 4 instances and a listen_timeout
// no test waits for; `keys` are the app's other keys, one per line.
std::string cluster_ecosystem(const std::string& keys) {
    return "module.exports = {\n  apps: [{\n    exec_mode: 'cluster',\n    instances: 4,\n"
           "    listen_timeout: 600000,\n" + keys + "  }],\n};\n";
}

std::string pm2_node_ecosystem(const std::string& port) {
    return cluster_ecosystem("    name: 'web',\n"
                             "    script: 'server.js',\n"
                             "    wait_ready: true,  // ready can only come from process.send('ready')\n"
                             "    kill_timeout: 5000,\n"
                             "    out_file: './out.log',\n"
                             "    merge_logs: true,\n"
                             "    env: { PORT: " + port + " },\n");
}

// The example Python server binding PORT itself (http.server).
std::string python_keys(const std::string& port) {
    return "    name: 'pyweb',\n"
           "    script: '" + std::string(CLUSTER_EXAMPLE_PY) + "',\n"
           "    env: { PORT: " + port + ", HOST: '127.0.0.1' },\n";
}

TEST_F(Pm2ClusterImport, NodeClusterAppFromItsEcosystemFileServesOnOnePort) {
    put_file(project_ / "server.js", kPm2NodeApp);
    import_and_start(pm2_node_ecosystem(port_text()));
    ASSERT_TRUE(h.wait_until([&] { return listed_all_ready("web", 4); }, 30s)) << h.pmctl({"ls"}).out;
    four_serve("web");
}

// Python's http.server and PHP's built-in server from their own ecosystem files. They never say
// ready; in cluster mode an instance is ready when it has called listen(), as Node's are on
// PM2's `listening` event, so with listen_timeout at 10 minutes all four are ready at once.
TEST_F(Pm2ClusterImport, PythonHttpServerFromItsEcosystemFileIsReadyWhenListening) {
    import_and_start(cluster_ecosystem(python_keys(port_text())));
    ASSERT_TRUE(h.wait_until([&] { return listed_all_ready("pyweb", 4); }, 30s)) << h.pmctl({"ls"}).out;
    four_serve("pyweb");
}

TEST_F(Pm2ClusterImport, PhpBuiltinServerFromItsEcosystemFileIsReadyWhenListening) {
    if (std::system("php --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "php-cli is not installed (scripts/install-deps)";
    put_file(project_ / "index.php", file_text(PID_PHP));
    import_and_start(cluster_ecosystem("    name: 'php',\n"
                                       "    script: 'php',\n"
                                       "    args: '-S 127.0.0.1:" + port_text() + " index.php',\n"));
    ASSERT_TRUE(h.wait_until([&] { return listed_all_ready("php", 4); }, 30s)) << h.pmctl({"ls"}).out;
    four_serve("php");
}

// A Python app's file may say wait_ready, but only Node apps can process.send('ready'); PM2
// then goes on after listen_timeout. The import drops it (noted), so the instances are ready
// when they listen, and a rolling reload goes on at their pace instead of failing.
TEST_F(Pm2ClusterImport, WaitReadyOfAPythonAppBecomesReadyWhenListening) {
    import_and_start(cluster_ecosystem(python_keys(port_text()) + "    wait_ready: true,\n"));
    EXPECT_THAT(file_text(project_ / "apps.toml"), HasSubstr("wait_ready = true was dropped"));
    ASSERT_TRUE(h.wait_until([&] { return listed_all_ready("pyweb", 4); }, 30s)) << h.pmctl({"ls"}).out;
    four_serve("pyweb");
    auto r = h.pmctl({"reload", "pyweb"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(listed_all_ready("pyweb", 4)) << h.pmctl({"ls"}).out;
    EXPECT_EQ(serving_pids("pyweb", 4).size(), 4u);
}

// A reload, a scale up and a scale down of the imported Node app, each under a client loop:
// no request fails, and every instance stopped drained on SIGINT (4 replaced, 6 scaled away).
TEST_F(Pm2ClusterImport, ReloadAndScaleBothWaysUnderLoadLoseNoRequest) {
    put_file(project_ / "server.js", kPm2NodeApp);
    import_and_start(pm2_node_ecosystem(port_text()));
    ASSERT_TRUE(h.wait_until([&] { return listed_all_ready("web", 4); }, 30s)) << h.pmctl({"ls"}).out;
    auto before = pids("web");

    lossless([&] {
        auto r = h.pmctl({"reload", "web"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
    });
    auto after = pids("web");
    for (int32_t pid : before) EXPECT_FALSE(after.count(pid)) << "pid " << pid << " survived the reload";

    lossless([&] {
        auto r = h.pmctl({"scale", "web", "8"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_TRUE(h.wait_until([&] { return listed_all_ready("web", 8); }, 30s)) << h.pmctl({"ls"}).out;
    });
    lossless([&] {
        auto r = h.pmctl({"scale", "web", "2"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
    });
    EXPECT_TRUE(listed_all_ready("web", 2)) << h.pmctl({"ls"}).out;
    EXPECT_EQ(serving_pids("web", 2).size(), 2u);

    auto drained = [&] {
        std::string log = file_text(project_ / "out.log");
        size_t n = 0;
        for (size_t at = log.find("draining "); at != std::string::npos; at = log.find("draining ", at + 1)) ++n;
        return n;
    };
    EXPECT_TRUE(h.wait_until([&] { return drained() == 10; }, 10s)) << file_text(project_ / "out.log");
    for (const auto& e : h.exits()) EXPECT_EQ(e.reason, "exited") << "an instance did not leave by itself";
    std::cout << "[ figures ] " << served_ << " requests served during a reload of 4 instances and a scale "
              << "4 -> 8 -> 2, " << failed_ << " failed\n";
}

}  // namespace
}  // namespace pmd::test
