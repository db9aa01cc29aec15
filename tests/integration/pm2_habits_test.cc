// What PM2 users count on and pmd got wrong: CPU figures right after a restart, a saved
// stopped app staying stopped. Everything goes through pmctl against a real pmd.
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>
#include <fstream>
#include <sstream>
#include <thread>

#include "pmd_harness.h"

namespace pmd::test {
namespace {

using ::testing::HasSubstr;

class Pm2HabitsTest : public ::testing::Test {
protected:
    void TearDown() override {
        if (HasFailure()) std::cerr << "--- pmd log ---\n" << h.pmd_log();
    }

    // The first instance of `app` in `pmctl ls --json`.
    nlohmann::json listed_instance(const std::string& app) {
        auto r = h.pmctl({"ls", "--json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        for (auto& a : nlohmann::json::parse(r.out))
            if (a.at("name") == app && !a.at("instances").empty()) return a.at("instances").at(0);
        return nlohmann::json::object();
    }

    std::string state_of(const std::string& app) {
        auto a = h.find_app(app);
        return a ? field<std::string>(*a, "state") : "(none)";
    }

    PmdHarness h;
};

TEST_F(Pm2HabitsTest, CpuAfterARestartCountsOnlyTheNewProcess) {
    h.start_pmd();
    // The first run spins while the flag file is there, then becomes a sleep; the restarted
    // run finds no flag and only sleeps.
    auto flag = h.dir() / "spin";
    write_text_file(flag, "");
    std::string script = "while [ -e '" + flag.string() + "' ]; do :; done; exec sleep 1000";
    auto r = h.pmctl({"start", "-n", "burner", "--", "sh", "-c", script});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    constexpr uint64_t spun_nsec = 400'000'000;
    ASSERT_TRUE(h.wait_until([&] {
        auto i = listed_instance("burner");
        return i.value("cpu_usage_nsec", uint64_t{0}) >= spun_nsec;
    }, 30s));
    std::filesystem::remove(flag);
    r = h.pmctl({"restart", "burner"});
    ASSERT_EQ(r.exit_code, 0) << r.err;

    auto i = listed_instance("burner");
    ASSERT_EQ(i.value("state", ""), "online") << i.dump();
    // A sleep that has just started has used a few ms; the spin of the run before is not its.
    EXPECT_LT(i.value("cpu_usage_nsec", uint64_t{0}), spun_nsec / 2) << i.dump();
    EXPECT_LE(i.value("cpu_percent", 0.0), 100.0 * std::thread::hardware_concurrency()) << i.dump();
    // The CPU cell of `pmctl ls` (the one figure there ending in %) is within what the CPUs have.
    r = h.pmctl({"ls"});
    std::istringstream words(r.out);
    size_t cells = 0;
    for (std::string word; words >> word;)
        if (word.size() > 1 && word.back() == '%') {
            ++cells;
            EXPECT_LE(std::stod(word), 100.0 * std::thread::hardware_concurrency()) << r.out;
        }
    EXPECT_EQ(cells, 1u) << r.out;
}

TEST_F(Pm2HabitsTest, SaveKeepsAStoppedAppStoppedThroughBootAndResurrect) {
    write_text_file(h.dir() / "pmd.toml", "apps_dir = \"" + (h.dir() / "pmd.d").string() + "\"\n");
    h.start_pmd();
    ASSERT_EQ(h.pmctl({"start", "-n", "kept", "--", "sleep", "1000"}).exit_code, 0);
    ASSERT_EQ(h.pmctl({"start", "-n", "halted", "--", "sleep", "1000"}).exit_code, 0);
    ASSERT_EQ(h.pmctl({"stop", "halted"}).exit_code, 0);
    auto r = h.pmctl({"save"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(WIFEXITED(h.stop_pmd()));

    // Boot resurrects the dump: the stopped app is there, stopped, and never ran.
    h.start_pmd();
    EXPECT_EQ(state_of("kept"), "online");
    EXPECT_EQ(state_of("halted"), "stopped");
    for (auto& i : h.instances("halted")) EXPECT_EQ(field<int32_t>(i, "pid"), 0);

    // pmctl resurrect brings it back the same way; pmctl start NAME starts it.
    ASSERT_EQ(h.pmctl({"delete", "halted"}).exit_code, 0);
    r = h.pmctl({"resurrect"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Added halted (stopped, as saved)"));
    EXPECT_EQ(state_of("halted"), "stopped");
    ASSERT_EQ(h.pmctl({"start", "halted"}).exit_code, 0);
    EXPECT_TRUE(h.wait_until([&] { return state_of("halted") == "online"; }));

    // Started again, it is saved as running.
    ASSERT_EQ(h.pmctl({"save"}).exit_code, 0);
    ASSERT_TRUE(WIFEXITED(h.stop_pmd()));
    h.start_pmd();
    EXPECT_EQ(state_of("halted"), "online");
}

TEST_F(Pm2HabitsTest, CronRestartRunsAnAppWithoutAutorestartAtEveryCronTime) {
    h.start_pmd();
    // PM2's cron job: run, exit, run again at the next cron time (here every second).
    auto runs = h.dir() / "runs";
    auto r = h.pmctl({"start", "-n", "job", "--no-autorestart", "--cron-restart", "* * * * * *", "--", "sh", "-c",
                      "echo run >> '" + runs.string() + "'"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto count = [&] {
        std::ifstream in(runs);
        size_t n = 0;
        for (std::string line; std::getline(in, line);) ++n;
        return n;
    };
    EXPECT_TRUE(h.wait_until([&] { return count() >= 3; }, 20s)) << count() << " run(s)";

    // A stop someone asked for is different: the cron time passes and the app stays stopped.
    ASSERT_EQ(h.pmctl({"stop", "job"}).exit_code, 0);
    EXPECT_TRUE(h.wait_until([&] { return h.pmd_log().find("cron restart skipped: the app is stopped") != std::string::npos; }, 20s));
    EXPECT_EQ(state_of("job"), "stopped");
}

TEST_F(Pm2HabitsTest, ExpBackoffStillErrorsAfterMaxRestarts) {
    h.start_pmd();
    // As PM2: backoff spaces the restarts out, and unstable runs still count.
    write_text_file(h.dir() / "crashy.toml", "[[app]]\nname = \"crashy\"\ncommand = [\"sh\", \"-c\", \"exit 1\"]\n"
                                   "exp_backoff_restart_delay = \"100ms\"\nmax_restarts = 2\nmin_uptime = \"1m\"\n");
    auto r = h.pmctl({"start", (h.dir() / "crashy.toml").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(h.wait_until([&] { return state_of("crashy") == "errored"; }, 20s)) << state_of("crashy");
    r = h.pmctl({"describe", "crashy"});
    EXPECT_THAT(r.out, HasSubstr("errored")) << r.out;
    EXPECT_THAT(h.pmd_log(), HasSubstr("too many unstable restarts"));
}

TEST_F(Pm2HabitsTest, DefaultsApplyToStartDashDashAndDescribeJsonListsLogFiles) {
    write_text_file(h.dir() / "pmd.toml", "apps_dir = \"" + (h.dir() / "pmd.d").string() +
                                    "\"\n[defaults]\nkill_timeout = \"7s\"\n[defaults.env]\nFROM_DEFAULTS = \"yes\"\n");
    h.start_pmd();
    auto r = h.pmctl({"start", "-n", "plain", "--env", "OWN=1", "--", "sleep", "1000"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = h.pmctl({"describe", "plain", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto d = nlohmann::json::parse(r.out);
    EXPECT_EQ(d.at("Spec").value("kill_timeout", ""), "7s") << d.at("Spec").dump();
    EXPECT_EQ(d.at("Spec").at("env").value("FROM_DEFAULTS", ""), "yes") << d.at("Spec").dump();
    EXPECT_EQ(d.at("Spec").at("env").value("OWN", ""), "1") << d.at("Spec").dump();
    // A key given on the command line wins over [defaults].
    r = h.pmctl({"start", "-n", "own", "--kill-timeout", "2s", "--", "sleep", "1000"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = h.pmctl({"describe", "own", "--json"});
    EXPECT_EQ(nlohmann::json::parse(r.out).at("Spec").value("kill_timeout", ""), "2s");

    // LogFiles: one entry per file, as on the bus, not null.
    ASSERT_TRUE(d.at("LogFiles").is_array()) << d.dump();
    ASSERT_EQ(d.at("LogFiles").size(), 2u) << d.dump();
    std::set<std::string> streams;
    for (auto& f : d.at("LogFiles")) {
        streams.insert(f.value("stream", ""));
        EXPECT_THAT(f.value("path", ""), HasSubstr("plain")) << f.dump();
        EXPECT_TRUE(f.at("instance").is_number_integer()) << f.dump();
    }
    EXPECT_EQ(streams, (std::set<std::string>{"out", "err"}));
}

TEST(Pm2HabitsRun, PmdRunRemovesItsCgroupAndExitZeroIsNoWarning) {
    auto dir = std::filesystem::temp_directory_path() / ("pmd-run-habits-" + std::to_string(getpid()));
    write_text_file(dir / "ok.toml", "[[app]]\nname = \"once\"\ncommand = [\"true\"]\nautorestart = false\n");
    auto r = run_command({PMD_BIN, "--config", (dir / "none.toml").string(), "run", (dir / "ok.toml").string()});
    std::filesystem::remove_all(dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream lines(r.err);
    std::string cgroup;
    const std::string mark = "pmd run: processes in cgroup2 ";
    for (std::string line; std::getline(lines, line);) {
        EXPECT_FALSE(line.find("warning") != std::string::npos && line.find("exited with status 0") != std::string::npos)
            << line;
        if (auto at = line.find(mark); at != std::string::npos) cgroup = line.substr(at + mark.size());
    }
    if (r.err.find("no usable cgroup2") != std::string::npos) GTEST_SKIP() << "no cgroup2 here: " << r.err;
    ASSERT_FALSE(cgroup.empty()) << r.err;
    EXPECT_FALSE(std::filesystem::exists(cgroup)) << cgroup << " is left behind";
}

TEST_F(Pm2HabitsTest, LogsOfAJournalAppWithoutAJournalSaySo) {
    for (const char* journal : {"/var/log/journal", "/run/log/journal"}) {
        std::error_code ec;
        for (auto it = std::filesystem::recursive_directory_iterator(journal, ec);
             !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
            if (it->is_regular_file()) GTEST_SKIP() << "this host has journal files (" << it->path() << ")";
    }
    write_text_file(h.dir() / "pmd.toml", "apps_dir = \"" + (h.dir() / "pmd.d").string() + "\"\nlog_sink = \"journal\"\n");
    // Nobody listens there: pmd's journal lines go nowhere, as on a host without journald.
    ::setenv("PMD_JOURNAL_SOCKET", (h.dir() / "no-journald.sock").c_str(), 1);
    h.start_pmd();
    ::unsetenv("PMD_JOURNAL_SOCKET");
    ASSERT_EQ(h.pmctl({"start", "-n", "jr", "--", "sh", "-c", "echo hello; exec sleep 1000"}).exit_code, 0);
    auto r = h.pmctl({"logs", "jr", "-n", "10"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("no journal"));
    EXPECT_THAT(r.err, HasSubstr("jr"));
}

}  // namespace
}  // namespace pmd::test
