// pmd lives through its own restart: a re-exec under load and a kill -9 leave every
// worker running with the same pid. Real pmd, real sockets, real signals.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include "cluster_fixture.h"
#include "pmd_harness.h"

namespace pmd::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ReexecTest : public ClusterFixture {
protected:
    // Writes "line-0", "line-1"... as fast as sh can, to its stdout through pmd.
    VariantDict counter(const std::string& name) {
        VariantDict s;
        s["name"] = sdbus::Variant(name);
        s["command"] = sdbus::Variant(
            std::vector<std::string>{"/bin/sh", "-c", "i=0; while :; do echo line-$i; i=$((i+1)); done"});
        return s;
    }

    // index -> (pid, restarts)
    std::map<uint32_t, std::pair<int32_t, uint32_t>> slots(const std::string& name) {
        std::map<uint32_t, std::pair<int32_t, uint32_t>> out;
        for (auto& i : h.instances(name))
            out[field<uint32_t>(i, "index")] = {field<int32_t>(i, "pid"), field<uint32_t>(i, "restarts")};
        return out;
    }

    // The numbers of counter lines in the app's log, in write order: the rotated files, oldest
    // (highest number) first, then the current one. The counter writes as fast as sh can, so
    // the log may pass log_max_size and rotate during the test.
    std::vector<long> counted_lines(const std::string& name) {
        std::filesystem::path log = h.dir() / "log" / (name + "-out.log");
        std::vector<std::filesystem::path> files;
        for (int n = 1; std::filesystem::exists(log.string() + "." + std::to_string(n)); ++n)
            files.insert(files.begin(), log.string() + "." + std::to_string(n));
        files.push_back(log);
        std::vector<long> numbers;
        for (const auto& file : files) {
            std::ifstream in(file);
            std::string line;
            while (std::getline(in, line))
                if (line.rfind("line-", 0) == 0) numbers.push_back(std::stol(line.substr(5)));
        }
        return numbers;
    }
};

TEST_F(ReexecTest, ReexecUnderLoadKeepsEveryWorkerConnectionAndLogLine) {
    h.start_app(app("web", 4));
    h.start_app(counter("counter"));
    ASSERT_TRUE(h.wait_until([&] { return all_ready("web", 4); }, 20s));
    auto before = slots("web");
    pid_t counter_pid = field<int32_t>(h.instances("counter").at(0), "pid");
    pid_t pmd_pid = h.pmd_pid();

    std::atomic<bool> done{false};
    std::atomic<int> ok{0}, failed{0}, answered{0};
    std::thread load([&] {
        while (!done) {
            (http_get(port).empty() ? failed : ok)++;
            ++answered;
            answered.notify_all();
        }
    });
    auto first = h.pmctl({"daemon-reexec"});
    auto second = h.pmctl({"daemon-reexec"});  // the handed-over state hands over again
    // Load goes on after the re-exec until the new pmd has visibly served requests too. Each
    // request ends within http_get's 5 s receive timeout, so this wait is bounded.
    int served = ok.load();
    for (int seen = answered.load(); ok.load() < served + 50 && failed.load() == 0; seen = answered.load())
        answered.wait(seen);
    done = true;
    load.join();

    ASSERT_EQ(first.exit_code, 0) << first.err;
    ASSERT_EQ(second.exit_code, 0) << second.err;
    EXPECT_EQ(failed.load(), 0) << ok.load() << " requests served";
    EXPECT_EQ(h.pmd_pid(), pmd_pid);
    EXPECT_THAT(h.pmd_log(), HasSubstr("re-executing"));
    EXPECT_EQ(slots("web"), before) << "a worker was restarted or replaced";
    EXPECT_TRUE(all_ready("web", 4));
    EXPECT_EQ(field<int32_t>(h.instances("counter").at(0), "pid"), counter_pid);

    // Every line the counter wrote, before, during and after both re-execs, is in its log
    // exactly once and in order: stop it, then read the file.
    h.stop("counter");
    auto numbers = counted_lines("counter");
    ASSERT_GT(numbers.size(), 1000u);
    for (size_t i = 0; i < numbers.size(); ++i) ASSERT_EQ(numbers[i], static_cast<long>(i)) << "at line " << i;

    // Still fully managed: a killed worker is replaced and serves on the handed-over socket.
    kill(before.at(0).first, SIGKILL);
    ASSERT_TRUE(h.wait_until([&] {
        auto now = slots("web");
        return now.at(0).first != before.at(0).first && all_ready("web", 4);
    }, 20s));
    EXPECT_FALSE(http_get(port).empty());
}

TEST_F(ReexecTest, AfterKillNinePmdTakesItsWorkersBackWithTheSamePids) {
    h.start_app(app("web", 2));
    VariantDict sleeper;
    sleeper["name"] = sdbus::Variant(std::string("sleeper"));
    sleeper["command"] = sdbus::Variant(std::vector<std::string>{"/bin/sleep", "1000"});
    h.start_app(sleeper);
    ASSERT_TRUE(h.wait_until([&] { return all_ready("web", 2); }, 20s));
    h.stop("sleeper");  // a stopped app stays stopped
    auto before = slots("web");

    pid_t old_pmd = h.pmd_pid();
    kill(old_pmd, SIGKILL);
    ASSERT_TRUE(wait_pid_gone(old_pmd, 10s));
    for (auto& [index, slot] : before) EXPECT_EQ(kill(slot.first, 0), 0) << "worker " << index << " died with pmd";
    h.start_pmd();

    EXPECT_EQ(slots("web"), before);
    EXPECT_THAT(h.pmd_log(), HasSubstr("taking its 2 app(s) back"));
    // The workers' cgroups are this pmd's again, not "processes of an earlier pmd".
    EXPECT_THAT(h.pmd_log(), Not(HasSubstr("earlier pmd"))) << h.pmd_log();
    auto sleeper_now = h.instances("sleeper");
    ASSERT_EQ(sleeper_now.size(), 1u);
    EXPECT_EQ(field<std::string>(sleeper_now[0], "state"), "stopped");
    ASSERT_TRUE(h.wait_until([&] { return all_ready("web", 2); }, 20s));
    EXPECT_FALSE(http_get(port).empty());

    // An adopted worker is no longer pmd's child: its exit still arrives (pidfd), and its
    // replacement gets the listen socket pmd took back from the workers.
    kill(before.at(1).first, SIGKILL);
    ASSERT_TRUE(h.wait_until([&] {
        auto now = slots("web");
        return now.at(1).first != before.at(1).first && all_ready("web", 2);
    }, 20s));
    for (int n = 0; n < 20; ++n) EXPECT_FALSE(http_get(port).empty());

    // And stopping still reaches every process.
    h.stop("web");
    for (auto& [index, slot] : slots("web")) EXPECT_EQ(slot.first, 0);
    EXPECT_TRUE(wait_pid_gone(before.at(0).first, 10s));
}

TEST_F(ReexecTest, BusDaemonDiesAndComesBackWhilePmdKeepsEveryAppAndLogLine) {
    h.start_app(counter("counter"));
    VariantDict sleeper;
    sleeper["name"] = sdbus::Variant(std::string("sleeper"));
    sleeper["command"] = sdbus::Variant(std::vector<std::string>{"/bin/sleep", "1000"});
    h.start_app(sleeper);
    pid_t counter_pid = field<int32_t>(h.instances("counter").at(0), "pid");
    pid_t sleeper_pid = field<int32_t>(h.instances("sleeper").at(0), "pid");
    pid_t pmd_pid = h.pmd_pid();

    h.kill_bus();
    ASSERT_TRUE(h.wait_for_log("lost the connection to", 10s)) << h.pmd_log();
    // Without a bus pmd still manages: a crash is seen and the instance replaced.
    ASSERT_EQ(kill(sleeper_pid, SIGKILL), 0);
    ASSERT_TRUE(wait_pid_gone(sleeper_pid, 10s));
    h.start_bus();
    // pmd connects again on its own (first after 100 ms, then with a growing delay).
    ASSERT_TRUE(h.wait_for_pmd_on_bus(20s)) << "pmd did not come back on the bus\n" << h.pmd_log();
    auto ping = h.pmctl({"ping"});
    EXPECT_EQ(ping.exit_code, 0) << ping.err;
    EXPECT_EQ(h.pmd_pid(), pmd_pid);
    EXPECT_TRUE(h.pmd_log().find("connected again to") != std::string::npos);
    EXPECT_EQ(field<int32_t>(h.instances("counter").at(0), "pid"), counter_pid);
    ASSERT_TRUE(h.wait_until([&] {
        auto i = h.instances("sleeper").at(0);
        return field<uint32_t>(i, "restarts") == 1u && field<int32_t>(i, "pid") > 0 &&
               field<int32_t>(i, "pid") != sleeper_pid;
    })) << h.pmd_log();
    // The app objects are back and signals flow on the new connection.
    EXPECT_EQ(h.pmctl({"describe", "sleeper"}).exit_code, 0);
    pid_t replacement = field<int32_t>(h.instances("sleeper").at(0), "pid");
    ASSERT_EQ(kill(replacement, SIGKILL), 0);
    ASSERT_TRUE(h.wait_until([&] {
        for (auto& e : h.exits())
            if (e.pid == replacement) return true;
        return false;
    })) << "no InstanceExited after the bus came back";

    // Every line the counter wrote while the bus was gone is in its log, once and in order.
    h.stop("counter");
    auto numbers = counted_lines("counter");
    ASSERT_GT(numbers.size(), 1000u);
    for (size_t i = 0; i < numbers.size(); ++i) ASSERT_EQ(numbers[i], static_cast<long>(i)) << "at line " << i;
}

TEST_F(ReexecTest, SigtermEndsPmdPromptlyWhileTheBusIsGone) {
    VariantDict stubborn;
    stubborn["name"] = sdbus::Variant(std::string("stubborn"));
    auto armed = h.dir() / "armed";
    stubborn["command"] = sdbus::Variant(std::vector<std::string>{
        "/bin/sh", "-c", "trap '' TERM; touch " + armed.string() + "; while :; do sleep 0.1; done"});
    stubborn["kill_timeout"] = sdbus::Variant(std::string("300ms"));
    h.start_app(stubborn);
    ASSERT_TRUE(wait_for_change(h.dir(), [&] { return std::filesystem::exists(armed); }, 10s));  // ignores SIGTERM now
    pid_t pid = field<int32_t>(h.instances("stubborn").at(0), "pid");
    h.kill_bus();
    ASSERT_TRUE(h.wait_for_log("lost the connection to", 10s)) << h.pmd_log();
    // The bound: the apps' kill_timeout and the final cgroup.kill, with room for a busy machine.
    int status = h.stop_pmd(10s);
    ASSERT_NE(status, -1) << "pmd did not end within 10 s of SIGTERM\n" << h.pmd_log();
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_TRUE(wait_pid_gone(pid, 5s));
}

}  // namespace
}  // namespace pmd::test
