// daemon-reload of a changed cluster app declared in apps_dir: rolled to the new spec with its
// listen socket open the whole time (no failed request), scaled with it; restarted (and said
// so) when its listen address changes; rolled back and retried later when the new spec never
// gets ready; only updated when the app is stopped. Real pmd, real sockets, pmctl.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "pmd_harness.h"

namespace pmd::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class DaemonReloadTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::filesystem::create_directories(apps_dir());
        std::ofstream(h.dir() / "pmd.toml") << "apps_dir = \"" << apps_dir().string() << "\"\n";
    }
    void TearDown() override {
        stop_load();
        if (HasFailure()) std::cerr << "--- pmd log ---\n" << h.pmd_log();
    }
    std::filesystem::path apps_dir() { return h.dir() / "pmd.d"; }

    // apps_dir/web.toml: a cluster_app.py worker per instance on a pmd-held socket.
    void write_web(int instances, std::map<std::string, std::string> env, uint16_t on_port = 0, std::string extra = "") {
        std::ostringstream toml;
        toml << "[[app]]\nname = \"web\"\ncommand = [\"python3\", \"" << CLUSTER_APP << "\"]\n"
             << "cwd = \"" << h.dir().string() << "\"\ninstances = " << instances << "\n"
             << "listen = [\"tcp:127.0.0.1:" << (on_port ? on_port : port) << "\"]\n"
             << "wait_ready = true\nkill_timeout = \"5s\"\n" << extra << "[app.env]\n";
        for (const auto& [k, v] : env) toml << k << " = \"" << v << "\"\n";
        std::ofstream(apps_dir() / "web.toml.tmp") << toml.str();
        std::filesystem::rename(apps_dir() / "web.toml.tmp", apps_dir() / "web.toml");
    }

    std::vector<VariantDict> serving() { return h.instances("web"); }
    bool all_ready(size_t count) {
        auto inst = serving();
        size_t ready = 0;
        for (auto& i : inst) ready += field<bool>(i, "ready") && field<std::string>(i, "state") == "online";
        return inst.size() == count && ready == count;
    }
    std::set<int32_t> pids() {
        std::set<int32_t> out;
        for (auto& i : serving()) out.insert(field<int32_t>(i, "pid"));
        return out;
    }
    // VERSION in the environment the kernel keeps for the process (what it was exec'd with).
    static std::string version_of(int32_t pid) {
        std::ifstream in("/proc/" + std::to_string(pid) + "/environ");
        std::string var;
        while (std::getline(in, var, '\0'))
            if (var.rfind("VERSION=", 0) == 0) return var.substr(8);
        return "";
    }
    void expect_all_on(const std::string& version) {
        for (int32_t pid : pids()) EXPECT_EQ(version_of(pid), version) << "pid " << pid;
    }

    // HTTP requests in a loop on `port` until stop_load(); every one must be answered.
    void start_load() {
        load_ = std::thread([this] {
            while (!load_done_) (http_get(port).empty() ? failed_ : ok_)++;
        });
    }
    void stop_load() {
        load_done_ = true;
        if (load_.joinable()) load_.join();
    }

    PmdHarness h;
    uint16_t port = free_port();
    std::thread load_;
    std::atomic<bool> load_done_{false};
    std::atomic<int> ok_{0}, failed_{0};
};

TEST_F(DaemonReloadTest, ChangedEnvRollsEveryInstanceAndScalesWithoutAFailedRequest) {
    write_web(3, {{"VERSION", "1"}});
    h.start_pmd();
    ASSERT_TRUE(h.wait_until([&] { return all_ready(3); }));
    expect_all_on("1");
    start_load();

    // Same count: every instance replaced, one batch at a time.
    auto before = pids();
    write_web(3, {{"VERSION", "2"}});
    auto r = h.pmctl({"daemon-reload"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("reloaded: web"));
    EXPECT_THAT(r.out, Not(HasSubstr("restarted")));
    ASSERT_TRUE(all_ready(3));  // the answer comes when the roll is done
    for (int32_t pid : pids()) EXPECT_FALSE(before.count(pid)) << "pid " << pid << " survived the reload";
    expect_all_on("2");

    // Fewer instances and a new env: scaled down, then rolled.
    before = pids();
    write_web(2, {{"VERSION", "3"}});
    r = h.pmctl({"daemon-reload"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("reloaded: web"));
    ASSERT_TRUE(all_ready(2));
    for (int32_t pid : pids()) EXPECT_FALSE(before.count(pid));
    expect_all_on("3");

    // More instances: rolled, then the new slots start on the new spec.
    before = pids();
    write_web(4, {{"VERSION", "4"}});
    r = h.pmctl({"daemon-reload"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("reloaded: web"));
    ASSERT_TRUE(h.wait_until([&] { return all_ready(4); }));
    for (int32_t pid : pids()) EXPECT_FALSE(before.count(pid));
    expect_all_on("4");

    stop_load();
    EXPECT_EQ(failed_.load(), 0) << ok_.load() << " requests served";
    EXPECT_GT(ok_.load(), 0);
    EXPECT_EQ(h.pmctl({"daemon-reload"}).out, "nothing changed\n");
}

TEST_F(DaemonReloadTest, ChangedListenAddressRestartsAndSaysWhy) {
    write_web(2, {{"VERSION", "1"}});
    h.start_pmd();
    ASSERT_TRUE(h.wait_until([&] { return all_ready(2); }));
    auto before = pids();
    uint16_t other = free_port();
    write_web(2, {{"VERSION", "2"}}, other);
    auto r = h.pmctl({"daemon-reload"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("restarted: web: its listen sockets change (tcp:127.0.0.1:" + std::to_string(port) +
                                 " -> tcp:127.0.0.1:" + std::to_string(other) + ")"));
    ASSERT_TRUE(h.wait_until([&] { return all_ready(2); }));
    for (int32_t pid : pids()) EXPECT_FALSE(before.count(pid));
    expect_all_on("2");
    EXPECT_FALSE(http_get(other).empty());
    EXPECT_EQ(http_get(port), "") << "the old address is still served";
    // The app object stayed: restart counts went on rather than starting again at 0.
    for (auto& i : serving()) EXPECT_EQ(field<uint32_t>(i, "restarts"), 1u);
}

TEST_F(DaemonReloadTest, AFailedRollPutsThePreviousSpecBackAndTheNextDaemonReloadRetries) {
    write_web(2, {{"VERSION", "1"}});
    h.start_pmd();
    ASSERT_TRUE(h.wait_until([&] { return all_ready(2); }));
    start_load();

    // One slot at a time (reload_batch 1, the default): slot 0's new instance is ready and waits
    // (the app shares its socket: the old ones stop only once all new ones are ready), slot 1's
    // exits, both new ones stop, and the old ones never stopped.
    write_web(2, {{"VERSION", "2"}, {"CRASH_INSTANCE", "1"}});
    auto r = h.pmctl({"daemon-reload"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr("errors: web: app 'web' keeps its previous spec"));
    EXPECT_THAT(r.err, HasSubstr("exited with status 3"));
    EXPECT_THAT(r.err, HasSubstr("web.toml"));
    ASSERT_TRUE(all_ready(2));
    expect_all_on("1");

    // The file still differs from what runs: the next daemon-reload tries again.
    write_web(2, {{"VERSION", "2"}});
    r = h.pmctl({"daemon-reload"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("reloaded: web"));
    ASSERT_TRUE(all_ready(2));
    expect_all_on("2");

    stop_load();
    EXPECT_EQ(failed_.load(), 0) << ok_.load() << " requests served";
}

TEST_F(DaemonReloadTest, AStoppedAppGetsTheNewSpecAndStaysStopped) {
    write_web(2, {{"VERSION", "1"}});
    h.start_pmd();
    ASSERT_TRUE(h.wait_until([&] { return all_ready(2); }));
    ASSERT_EQ(h.pmctl({"stop", "web"}).exit_code, 0);
    write_web(3, {{"VERSION", "2"}});
    auto r = h.pmctl({"daemon-reload"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("updated: web (stopped"));
    auto inst = serving();
    ASSERT_EQ(inst.size(), 3u);
    for (auto& i : inst) EXPECT_EQ(field<std::string>(i, "state"), "stopped");
    EXPECT_EQ(field<std::string>(*h.find_app("web"), "state"), "stopped");

    ASSERT_EQ(h.pmctl({"restart", "web"}).exit_code, 0);
    ASSERT_TRUE(h.wait_until([&] { return all_ready(3); }));
    expect_all_on("2");
}

}  // namespace
}  // namespace pmd::test
