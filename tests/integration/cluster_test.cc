// Clusters for any language: shared listen sockets (LISTEN_FDS), sd_notify readiness, rolling
// reload without a dropped connection, live scale, watchdog. Real pmd, real sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include "cluster_fixture.h"
#include "pmd_harness.h"

namespace pmd::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ClusterTest : public ClusterFixture {};

TEST_F(ClusterTest, SocketsAndEnvArriveAsSdListenFdsExpects) {
    auto report = (h.dir() / "report").string();
    auto unix_path = (h.dir() / "admin.sock").string();
    auto s = app("web", 1, {{"REPORT", report}});
    s["listen"] = sdbus::Variant(std::vector<std::string>{"tcp:127.0.0.1:" + std::to_string(port), "unix:" + unix_path});
    h.start_app(s);
    std::map<std::string, std::string> kv;
    ASSERT_TRUE(h.wait_until([&] {
        std::ifstream in(report);
        std::string line;
        kv.clear();
        while (std::getline(in, line)) kv[line.substr(0, line.find('='))] = line.substr(line.find('=') + 1);
        return !kv.empty();
    }));
    EXPECT_EQ(kv["LISTEN_PID"], kv["pid"]);
    EXPECT_EQ(kv["LISTEN_FDS"], "2");
    EXPECT_EQ(kv["LISTEN_FDNAMES"], "web:web");
    EXPECT_EQ(kv["fd3"], std::to_string(port));
    EXPECT_EQ(kv["fd3.listening"], "1");
    EXPECT_EQ(kv["fd4.listening"], "1");
    ASSERT_TRUE(h.wait_until([&] { return all_ready("web", 1); }));
    EXPECT_EQ(http_get(port), std::to_string(*pids("web").begin()) + "\n");
}

TEST_F(ClusterTest, ReadyComesFromTheInstance) {
    auto gate = (h.dir() / "gate").string();
    auto s = app("gated", 2, {{"GATE", gate}, {"STATUS", "serving from the test"}});
    s["listen_timeout"] = sdbus::Variant(std::string("30s"));
    h.start_app(s);
    // Online but not ready: the instances wait for the gate before READY=1.
    auto inst = h.instances("gated");
    ASSERT_EQ(inst.size(), 2u);
    for (auto& i : inst) {
        EXPECT_EQ(field<std::string>(i, "state"), "online");
        EXPECT_FALSE(field<bool>(i, "ready"));
    }
    std::ofstream(gate) << "open\n";
    ASSERT_TRUE(h.wait_until([&] { return all_ready("gated", 2); }));
    ASSERT_TRUE(h.wait_until([&] {
        for (auto& i : h.instances("gated"))
            if (field<std::string>(i, "status") != "serving from the test") return false;
        return true;
    }));
    auto r = h.pmctl({"ls"});
    EXPECT_THAT(r.out, HasSubstr("READY"));
    EXPECT_THAT(r.out, HasSubstr("serving from the test"));
}

TEST_F(ClusterTest, ReloadReplacesEveryInstanceWithoutDroppingARequest) {
    h.start_app(app("web", 2));
    ASSERT_TRUE(h.wait_until([&] { return all_ready("web", 2); }));
    auto before = pids("web");
    ASSERT_FALSE(http_get(port).empty());

    std::atomic<bool> done{false};
    std::atomic<int> ok{0}, failed{0};
    std::thread load([&] {
        while (!done) (http_get(port).empty() ? failed : ok)++;
    });
    auto r = h.pmctl({"reload", "web"});
    r = r.exit_code == 0 ? h.pmctl({"reload", "web"}) : r;  // twice, as the benchmark
    done = true;
    load.join();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(failed.load(), 0) << ok.load() << " requests served";
    EXPECT_GT(ok.load(), 0);
    auto after = pids("web");
    ASSERT_EQ(after.size(), 2u);
    for (int32_t pid : before) EXPECT_FALSE(after.count(pid)) << "pid " << pid << " survived the reload";
    for (int32_t pid : before) EXPECT_TRUE(wait_pid_gone(pid, 5s));
    EXPECT_TRUE(all_ready("web", 2));
    for (auto& i : h.instances("web")) EXPECT_EQ(field<uint32_t>(i, "restarts"), 2u);
}

// The batch size travels the whole way: pmctl start --reload-batch, the bus, the spec,
// describe --json, and a reload that replaces every instance two at a time.
TEST_F(ClusterTest, ReloadBatchFromPmctlIsKeptAndUsed) {
    auto r = h.pmctl({"start", "-n", "batched", "-i", "4", "--reload-batch", "2", "--wait-ready", "--kill-timeout", "5s",
                      "--listen", "tcp:127.0.0.1:" + std::to_string(port), "--", "python3", CLUSTER_APP});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(h.wait_until([&] { return all_ready("batched", 4); }));
    r = h.pmctl({"describe", "batched", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("\"reload_batch\": 2"));
    auto before = pids("batched");
    r = h.pmctl({"reload", "batched"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto after = pids("batched");
    ASSERT_EQ(after.size(), 4u);
    for (int32_t pid : before) EXPECT_FALSE(after.count(pid)) << "pid " << pid << " survived the reload";
    EXPECT_THAT(h.pmd_log(), HasSubstr("rolling reload of 4 instance(s), 2 at a time"));
}

// Without shared sockets the reload goes slot by slot as before: the old instance of slot 0
// is gone before the old one of slot 1 is asked to stop (that waits for slot 1's replacement,
// started only after slot 0's old instance exited).
TEST_F(ClusterTest, ReloadWithoutSharedSocketsStillStopsOneOldInstanceAtATime) {
    VariantDict s;
    s["name"] = sdbus::Variant(std::string("plain"));
    s["command"] = sdbus::Variant(std::vector<std::string>{"sleep", "600"});
    s["cwd"] = sdbus::Variant(h.dir().string());
    s["instances"] = sdbus::Variant(int64_t{2});
    s["listen_timeout"] = sdbus::Variant(std::string("200ms"));
    h.start_app(s);
    ASSERT_TRUE(h.wait_until([&] { return all_ready("plain", 2); }));
    std::vector<int32_t> before;
    for (auto& i : h.instances("plain")) before.push_back(field<int32_t>(i, "pid"));
    auto r = h.pmctl({"reload", "plain"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto after = pids("plain");
    for (int32_t pid : before) EXPECT_FALSE(after.count(pid)) << "pid " << pid << " survived the reload";
    std::string log = h.pmd_log();
    EXPECT_THAT(log, HasSubstr("rolling reload of 2 instance(s), 1 at a time\n"));
    EXPECT_THAT(log, Not(HasSubstr("stopping the old ones")));
    size_t first = log.find(": pid " + std::to_string(before[0]) + " killed");
    size_t second = log.find(": pid " + std::to_string(before[1]) + " killed");
    ASSERT_NE(first, std::string::npos) << log;
    ASSERT_NE(second, std::string::npos) << log;
    EXPECT_LT(first, second);
}

TEST_F(ClusterTest, AFailingNewInstanceStopsTheReloadAndOldOnesKeepServing) {
    auto bad_deploy = (h.dir() / "broken").string();
    auto s = app("web", 2, {{"CRASH_IF", bad_deploy}});
    s["listen_timeout"] = sdbus::Variant(std::string("2s"));
    h.start_app(s);
    ASSERT_TRUE(h.wait_until([&] { return all_ready("web", 2); }));
    auto before = pids("web");
    std::ofstream(bad_deploy) << "x\n";
    try {
        h.manager().callMethod("Reload").onInterface("org.pmd.God1.Manager").withTimeout(60s).withArguments(std::string("web"));
        FAIL() << "reload of a crashing build succeeded";
    } catch (const sdbus::Error& e) {
        EXPECT_EQ(e.getName(), "org.pmd.God1.Error.Failed");
        EXPECT_THAT(e.getMessage(), HasSubstr("old instances keep serving"));
        EXPECT_THAT(e.getMessage(), HasSubstr("exited with status 3"));
    }
    EXPECT_EQ(pids("web"), before);
    EXPECT_TRUE(all_ready("web", 2));
    EXPECT_FALSE(http_get(port).empty());
    auto r = h.pmctl({"reload", "web"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr("reload of 'web' stopped"));
}

TEST_F(ClusterTest, ScaleUpAndDownLive) {
    h.start_app(app("web", 1));
    ASSERT_TRUE(h.wait_until([&] { return all_ready("web", 1); }));
    auto r = h.pmctl({"scale", "web", "3"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(h.wait_until([&] { return all_ready("web", 3); }));
    auto three = h.instances("web");
    int32_t surplus_pid = 0;
    for (auto& i : three)
        if (field<uint32_t>(i, "index") == 2) surplus_pid = field<int32_t>(i, "pid");
    r = h.pmctl({"scale", "web", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(h.instances("web").size(), 2u);
    EXPECT_TRUE(wait_pid_gone(surplus_pid, 5s));
    EXPECT_FALSE(http_get(port).empty());
    r = h.pmctl({"scale", "web", "zero"});
    EXPECT_EQ(r.exit_code, 2);
}

TEST_F(ClusterTest, WatchdogReplacesAHungInstance) {
    auto s = app("hung", 1, {{"WATCHDOG_PINGS", "3"}});
    s["watchdog_sec"] = sdbus::Variant(std::string("600ms"));
    h.start_app(s);
    // Two watchdog kills in a row: the replacement lived to ping and hang too, so it was not
    // killed at birth (a cgroup that had cgroup.kill must not be reused).
    auto hung_exits = [&] {
        std::vector<PmdHarness::Exit> found;
        for (auto& e : h.exits())
            if (e.app == "hung") found.push_back(e);
        return found;
    };
    ASSERT_TRUE(h.wait_until([&] { return hung_exits().size() >= 2; }, 15s));
    auto two = hung_exits();
    EXPECT_EQ(two[0].reason, "watchdog");
    EXPECT_EQ(two[1].reason, "watchdog");
    EXPECT_NE(two[0].pid, two[1].pid);
    auto i = h.instances("hung");
    ASSERT_FALSE(i.empty());
    EXPECT_GE(field<uint32_t>(i[0], "restarts"), 1u);
    EXPECT_THAT(h.pmd_log(), HasSubstr("no WATCHDOG=1 within watchdog_sec"));
}

TEST_F(ClusterTest, NotifyFromAStrangerIsIgnored) {
    auto gate = (h.dir() / "never").string();
    auto s = app("waiting", 1, {{"GATE", gate}});
    s["listen_timeout"] = sdbus::Variant(std::string("30s"));
    h.start_app(s);
    // This test process is no instance: its READY=1 must not make anyone ready.
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::string path = (h.dir() / "state" / "notify").string();
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    ASSERT_GT(sendto(fd, "READY=1", 7, 0, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    close(fd);
    // Ping is answered after the datagram was handled (one loop, in order of arrival).
    ASSERT_EQ(h.pmctl({"ping"}).exit_code, 0);
    EXPECT_FALSE(field<bool>(h.instances("waiting").at(0), "ready"));
}

TEST_F(ClusterTest, DeleteClosesTheListeningSocketButReloadDoesNot) {
    h.start_app(app("web", 1));
    ASSERT_TRUE(h.wait_until([&] { return all_ready("web", 1); }));
    ASSERT_EQ(h.pmctl({"delete", "web"}).exit_code, 0);
    EXPECT_EQ(http_get(port), "");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;  // TIME_WAIT of served requests is fine; a listening socket is not
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << "the port is still bound after delete";
    close(fd);
}

}  // namespace
}  // namespace pmd::test
