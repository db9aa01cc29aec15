// Restart triggers through the bus against a real pmd: cron_restart at the second,
// watch with a burst of changes, max_memory_restart with a growing process, and a health
// check that fails and recovers. Every wait is on an event with a deadline.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "pmd_harness.h"

namespace pmd::test {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

uint64_t realtime_usec() {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

class TriggersTest : public ::testing::Test {
protected:
    void SetUp() override { h.start_pmd(); }
    void TearDown() override {
        if (HasFailure()) std::cerr << "--- pmd log ---\n" << h.pmd_log();
    }

    VariantDict spec(const std::string& name, std::vector<std::string> command, const fs::path& cwd) {
        VariantDict s;
        s["name"] = sdbus::Variant(name);
        s["command"] = sdbus::Variant(command);
        s["cwd"] = sdbus::Variant(cwd.string());
        return s;
    }

    // A health_check table: `target` is the url, port or command; checks every `every` with
    // that timeout too.
    VariantDict check(const std::string& type, const std::string& key, sdbus::Variant target, const std::string& every,
                      int64_t failures) {
        VariantDict hc;
        hc["type"] = sdbus::Variant(type);
        hc[key] = target;
        hc["interval"] = sdbus::Variant(every);
        hc["timeout"] = sdbus::Variant(every);
        hc["failures"] = sdbus::Variant(failures);
        return hc;
    }

    std::vector<PmdHarness::Exit> exits_of(const std::string& app, const std::string& reason = "") {
        std::vector<PmdHarness::Exit> out;
        for (const auto& e : h.exits())
            if (e.app == app && (reason.empty() || e.reason == reason)) out.push_back(e);
        return out;
    }

    // Field of instance `index` (empty dict if absent).
    VariantDict instance(const std::string& app, uint32_t index = 0) {
        for (auto& i : h.instances(app))
            if (field<uint32_t>(i, "index") == index && !i.count("incoming")) return i;
        return {};
    }
    template <typename T>
    T get(const VariantDict& d, const std::string& key, T fallback) {
        auto it = d.find(key);
        return it == d.end() ? fallback : it->second.get<T>();
    }

    PmdHarness h;
};

TEST_F(TriggersTest, CronRestartHappensAtTheSecondAndDescribeShowsTheNextRun) {
    auto s = spec("tick", {"sleep", "1000"}, h.dir());
    s["cron_restart"] = sdbus::Variant(std::string("*/2 * * * * *"));  // seconds field: every 2 s
    h.start_app(s);
    auto app = h.find_app("tick");
    ASSERT_TRUE(app);
    uint64_t next = get<uint64_t>(*app, "next_cron_restart_usec", 0);
    ASSERT_GT(next, realtime_usec());
    EXPECT_EQ(next % 2'000'000, 0u);  // an even second, exactly
    EXPECT_LE(next - realtime_usec(), 2'000'000u);
    int32_t first_pid = get<int32_t>(instance("tick"), "pid", 0);

    uint64_t seen_at = 0;
    ASSERT_TRUE(h.wait_until([&] {
        if (exits_of("tick", "cron").empty()) return false;
        seen_at = realtime_usec();
        return true;
    }, 5s));
    // Not before its time, and within the second it names.
    EXPECT_GE(seen_at, next);
    EXPECT_LT(seen_at - next, 1'000'000u);
    EXPECT_EQ(exits_of("tick", "cron")[0].pid, first_pid);
    ASSERT_TRUE(h.wait_until([&] {
        auto i = instance("tick");
        return get<std::string>(i, "state", "") == "online" && get<int32_t>(i, "pid", 0) != first_pid;
    }, 5s));
    auto i = instance("tick");
    EXPECT_EQ(get<std::string>(i, "last_exit_reason", ""), "cron");
    EXPECT_THAT(get<std::string>(i, "last_exit", ""), HasSubstr("cron_restart '*/2 * * * * *'"));
    EXPECT_GE(get<uint32_t>(i, "restarts", 0), 1u);
    // The next run moved on, and describe shows it.
    app = h.find_app("tick");
    EXPECT_GE(get<uint64_t>(*app, "next_cron_restart_usec", 0), next + 2'000'000);
    auto r = h.pmctl({"describe", "tick"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Cron restart: */2 * * * * *, next "));
}

TEST_F(TriggersTest, CronReloadsAClusterAndBadCronIsANamedError) {
    auto s = spec("pool", {"sleep", "1000"}, h.dir());
    s["instances"] = sdbus::Variant(int64_t{2});
    s["listen_timeout"] = sdbus::Variant(std::string("200ms"));
    s["cron_restart"] = sdbus::Variant(std::string("CRON_TZ=UTC */3 * * * * *"));
    h.start_app(s);
    // A rolling reload: each slot's old instance exits (reason cron) after its replacement is
    // ready, so the app never has zero instances online.
    bool ever_empty = false;
    ASSERT_TRUE(h.wait_until([&] {
        size_t online = 0;
        for (auto& i : h.instances("pool")) online += get<std::string>(i, "state", "") == "online";
        ever_empty |= online == 0;
        return exits_of("pool", "cron").size() >= 2;
    }, 10s));
    EXPECT_FALSE(ever_empty);
    auto two = exits_of("pool", "cron");
    EXPECT_NE(two[0].instance, two[1].instance);

    s = spec("badcron", {"sleep", "1"}, h.dir());
    s["cron_restart"] = sdbus::Variant(std::string("0 25 * * *"));
    try {
        h.start_app(s);
        ADD_FAILURE() << "a bad cron_restart was accepted";
    } catch (const sdbus::Error& e) {
        EXPECT_EQ(e.getName(), "org.pmd.God1.Error.InvalidSpec");
        EXPECT_THAT(e.getMessage(), HasSubstr("hour: 25 is out of range"));
    }
}

TEST_F(TriggersTest, WatchTurnsABurstOfChangesIntoExactlyOneRestart) {
    fs::path dir = h.dir() / "watched";
    fs::create_directories(dir / "src");
    fs::create_directories(dir / "logs");
    // The app logs into its own watched directory, which must not count as a change.
    auto s = spec("watcher", {"sh", "-c", "while true; do echo tick; sleep 0.05; done"}, dir);
    s["out_file"] = sdbus::Variant((dir / "watcher-out.log").string());
    s["watch"] = sdbus::Variant(true);
    s["ignore_watch"] = sdbus::Variant(std::vector<std::string>{"logs", "*.tmp"});
    s["watch_delay"] = sdbus::Variant(std::string("500ms"));
    h.start_app(s);
    int32_t first_pid = get<int32_t>(instance("watcher"), "pid", 0);
    ASSERT_GT(first_pid, 0);

    // The burst: 50 writes, a new directory tree with files in it, an ignored write.
    for (int n = 0; n < 50; ++n) std::ofstream(dir / "src" / ("f" + std::to_string(n) + ".js")) << n;
    fs::create_directories(dir / "src" / "new" / "deeper");
    std::ofstream(dir / "src" / "new" / "deeper" / "g.js") << "g";
    std::ofstream(dir / "logs" / "app.log") << "ignored";
    ASSERT_TRUE(h.wait_until([&] { return exits_of("watcher", "watch").size() == 1; }, 10s));
    EXPECT_EQ(exits_of("watcher", "watch")[0].pid, first_pid);
    ASSERT_TRUE(h.wait_until([&] { return get<std::string>(instance("watcher"), "state", "") == "online"; }, 5s));

    // Ignored changes restart nothing; then a marker change deep in the directory created
    // during the burst (so it was followed) restarts the app a second time. Seeing the marker's
    // restart, and no other, proves the burst was exactly one restart.
    std::ofstream(dir / "logs" / "more.log") << "ignored";
    std::ofstream(dir / "src" / "scratch.tmp") << "ignored";
    std::ofstream(dir / "src" / "new" / "deeper" / "marker.js") << "marker";
    ASSERT_TRUE(h.wait_until([&] { return exits_of("watcher", "watch").size() == 2; }, 10s));
    ASSERT_TRUE(h.wait_until([&] {
        auto i = instance("watcher");
        return get<std::string>(i, "state", "") == "online" && get<uint32_t>(i, "restarts", 0) == 2;
    }, 5s));
    EXPECT_EQ(exits_of("watcher").size(), 2u);
    EXPECT_THAT(get<std::string>(instance("watcher"), "last_exit", ""), HasSubstr("marker.js changed (watch)"));
    // The log really was written in the watched directory all along.
    uintmax_t log_bytes = 0;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().starts_with("watcher-out")) log_bytes += e.file_size();
    EXPECT_GT(log_bytes, 0u);
}

TEST_F(TriggersTest, MemoryGrowthPastTheLimitRestartsWithReasonMemory) {
    auto s = spec("hog", {"python3", MEMORY_HOG}, h.dir());
    s["max_memory_restart"] = sdbus::Variant(std::string("100M"));
    h.start_app(s);
    int32_t first_pid = get<int32_t>(instance("hog"), "pid", 0);
    ASSERT_TRUE(h.wait_until([&] { return !exits_of("hog", "memory").empty(); }, 20s));
    EXPECT_EQ(exits_of("hog", "memory")[0].pid, first_pid);
    ASSERT_TRUE(h.wait_until([&] {
        auto i = instance("hog");
        return get<std::string>(i, "last_exit_reason", "") == "memory" && get<int32_t>(i, "pid", 0) != first_pid &&
               get<std::string>(i, "state", "") == "online";
    }, 5s));
    auto i = instance("hog");
    EXPECT_THAT(get<std::string>(i, "last_exit", ""), HasSubstr("over max_memory_restart 100M"));
    EXPECT_GE(get<uint32_t>(i, "restarts", 0), 1u);
    // A restart pmd asked for is not a crash: the restart policy did not count it as unstable.
    EXPECT_EQ(get<uint32_t>(i, "unstable_restarts", 99), 0u);
    auto r = h.pmctl({"describe", "hog"});
    EXPECT_THAT(r.out, HasSubstr("Memory restart: above 100M"));
    EXPECT_THAT(r.out, HasSubstr("last exit: pid " + std::to_string(first_pid) + " restarted by pmd: memory"));
}

TEST_F(TriggersTest, HttpHealthCheckFlipsToFailingRestartsAndRecovers) {
    uint16_t port = free_port();
    auto s = spec("web", {"python3", HEALTH_APP}, h.dir());
    s["env"] = sdbus::Variant(std::map<std::string, std::string>{{"PORT", std::to_string(port)}});
    s["listen_timeout"] = sdbus::Variant(std::string("300ms"));
    VariantDict hc = check("http", "url", sdbus::Variant("http://127.0.0.1:" + std::to_string(port) + "/health"), "200ms", 2);
    s["health_check"] = sdbus::Variant(hc);
    h.start_app(s);

    auto health = [&] { return get<std::string>(instance("web"), "health", "?"); };
    ASSERT_TRUE(h.wait_until([&] { return health() == "healthy"; }, 10s)) << health();
    int32_t first_pid = get<int32_t>(instance("web"), "pid", 0);
    auto r = h.pmctl({"ls"});
    EXPECT_THAT(r.out, HasSubstr("HEALTH"));
    EXPECT_THAT(r.out, HasSubstr("healthy"));

    // Failing: two 500s in a row make it unhealthy and pmd restarts it.
    std::ofstream(h.dir() / "unhealthy") << "1";
    ASSERT_TRUE(h.wait_until([&] { return !exits_of("web", "health").empty(); }, 10s));
    fs::remove(h.dir() / "unhealthy");
    EXPECT_EQ(exits_of("web", "health")[0].pid, first_pid);
    // And back: the replacement passes its checks.
    ASSERT_TRUE(h.wait_until([&] {
        auto i = instance("web");
        return get<int32_t>(i, "pid", 0) != first_pid && get<std::string>(i, "health", "") == "healthy";
    }, 10s)) << health();
    auto i = instance("web");
    EXPECT_EQ(get<std::string>(i, "last_exit_reason", ""), "health");
    EXPECT_THAT(get<std::string>(i, "last_exit", ""), HasSubstr("health check failed 2 time(s) in a row (HTTP 500)"));
    EXPECT_EQ(get<std::string>(i, "health_result", ""), "HTTP 200");
    EXPECT_EQ(get<uint32_t>(i, "restarts", 0), 1u);
    EXPECT_EQ(exits_of("web").size(), 1u);
    r = h.pmctl({"describe", "web"});
    EXPECT_THAT(r.out, HasSubstr("health: healthy (last check: HTTP 200)"));
}

TEST_F(TriggersTest, ExecHealthCheckRunsInTheAppsCwdAndTcpCheckSeesAListener) {
    auto command = std::vector<std::string>{"sh", "-c", "test ! -e unhealthy"};
    VariantDict exec = check("exec", "command", sdbus::Variant(command), "200ms", 1);
    auto s = spec("checked", {"sleep", "1000"}, h.dir());
    s["listen_timeout"] = sdbus::Variant(std::string("200ms"));
    s["health_check"] = sdbus::Variant(exec);
    h.start_app(s);
    ASSERT_TRUE(h.wait_until([&] { return get<std::string>(instance("checked"), "health", "") == "healthy"; }, 10s));
    std::ofstream(h.dir() / "unhealthy") << "1";
    ASSERT_TRUE(h.wait_until([&] { return !exits_of("checked", "health").empty(); }, 10s));
    fs::remove(h.dir() / "unhealthy");
    ASSERT_TRUE(h.wait_until([&] { return get<std::string>(instance("checked"), "health", "") == "healthy"; }, 10s));
    EXPECT_THAT(get<std::string>(instance("checked"), "last_exit", ""), HasSubstr("(exited with status 1)"));

    // tcp: nothing listens on the port, so the instance never becomes healthy.
    VariantDict tcp = check("tcp", "port", sdbus::Variant(int64_t{free_port()}), "200ms", 1);
    s = spec("deaf", {"sleep", "1000"}, h.dir());
    s["listen_timeout"] = sdbus::Variant(std::string("200ms"));
    s["health_check"] = sdbus::Variant(tcp);
    h.start_app(s);
    ASSERT_TRUE(h.wait_until([&] { return !exits_of("deaf", "health").empty(); }, 10s));
    EXPECT_THAT(get<std::string>(instance("deaf"), "last_exit", ""), HasSubstr("refused"));
}

TEST_F(TriggersTest, UnhealthyClusterRestartsOneInstanceAtATime) {
    // Two instances on ports base and base+1 (increment_var), each checked on its own port.
    uint16_t base = free_port();
    while (base == 65535) base = free_port();
    auto s = spec("pair", {"python3", HEALTH_APP}, h.dir());
    s["instances"] = sdbus::Variant(int64_t{2});
    s["increment_var"] = sdbus::Variant(std::string("PORT"));
    s["env"] = sdbus::Variant(std::map<std::string, std::string>{{"PORT", std::to_string(base)}});
    s["listen_timeout"] = sdbus::Variant(std::string("500ms"));
    VariantDict hc = check("http", "url", sdbus::Variant("http://127.0.0.1:" + std::to_string(base) + "/"), "150ms", 1);
    s["health_check"] = sdbus::Variant(hc);
    h.start_app(s);
    auto serving = [&] {
        size_t n = 0;
        for (auto& i : h.instances("pair"))
            n += get<std::string>(i, "state", "") == "online" && get<bool>(i, "ready", false);
        return n;
    };
    ASSERT_TRUE(h.wait_until([&] {
        auto all = h.instances("pair");
        return all.size() == 2 && get<std::string>(all[0], "health", "") == "healthy" &&
               get<std::string>(all[1], "health", "") == "healthy";
    }, 10s));

    // Both turn unhealthy at once; pmd restarts them one after the other, never both together.
    std::ofstream(h.dir() / "unhealthy") << "1";
    size_t fewest_serving = 2;
    ASSERT_TRUE(h.wait_until([&] {
        fewest_serving = std::min(fewest_serving, serving());
        auto health_exits = exits_of("pair", "health");
        return health_exits.size() >= 2 && health_exits[0].instance != health_exits.back().instance;
    }, 20s));
    fs::remove(h.dir() / "unhealthy");
    EXPECT_GE(fewest_serving, 1u);
    ASSERT_TRUE(h.wait_until([&] { return serving() == 2; }, 10s));
    EXPECT_THAT(h.pmd_log(), HasSubstr("waiting for pair["));
}

TEST_F(TriggersTest, PmctlStartTakesTheTriggerFlags) {
    auto r = h.pmctl({"start", "-n", "flags", "--cron-restart", "CRON_TZ=UTC 0 3 * * *", "--max-memory-restart", "500M",
                      "--watch", "--ignore-watch", "*.log", "--watch-delay", "2s", "--cwd", h.dir().string(), "--", "sleep",
                      "1000"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = h.pmctl({"describe", "flags"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Cron restart: CRON_TZ=UTC 0 3 * * *, next "));
    EXPECT_THAT(r.out, HasSubstr("Memory restart: above 500M"));
    EXPECT_THAT(r.out, HasSubstr("Watch: restart on file changes"));
    // The next run is 03:00 UTC, today or tomorrow.
    auto app = h.find_app("flags");
    ASSERT_TRUE(app);
    uint64_t next = get<uint64_t>(*app, "next_cron_restart_usec", 0) / 1'000'000;
    EXPECT_EQ(next % 86400, 3u * 3600);
    EXPECT_LE(next - realtime_usec() / 1'000'000, 86400u);

    r = h.pmctl({"start", "-n", "bad", "--cron-restart", "every day", "--", "sleep", "1"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr("cron_restart"));
}

}  // namespace
}  // namespace pmd::test
