// A PM2 user's hands on pmctl: what follows `--` is the app's, usage errors exit 2, PM2's
// `start SCRIPT` and `start NAME`, bounded waits for the bus, PM2's command names, and the
// READY column. Everything goes through the pmctl binary against a real pmd.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "base/unique_fd.h"
#include "pmd_harness.h"

namespace pmd::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class PmctlCliTest : public ::testing::Test {
protected:
    void SetUp() override { h.start_pmd(); }
    void TearDown() override {
        if (HasFailure()) std::cerr << "--- pmd log ---\n" << h.pmd_log();
    }

    nlohmann::json spec_of(const std::string& app) {
        auto r = h.pmctl({"describe", app, "--json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return nlohmann::json::parse(r.out).at("Spec");
    }

    bool online(const std::string& app) {
        auto found = h.find_app(app);
        return found && field<std::string>(*found, "state") == "online";
    }

    // The READY cell of an app's first row in `pmctl ls`.
    std::string ready_cell(const std::string& app) {
        auto r = h.pmctl({"ls"});
        std::istringstream lines(r.out);
        for (std::string line; std::getline(lines, line);) {
            std::istringstream words(line);
            std::vector<std::string> cells{std::istream_iterator<std::string>(words), {}};
            if (cells.size() > 4 && cells[0] == app) return cells[4];
        }
        return "(no row for " + app + " in:\n" + r.out + ")";
    }

    std::filesystem::path write_script(const std::string& file, const std::string& text) {
        auto path = h.dir() / file;
        std::ofstream(path) << text;
        return path;
    }

    PmdHarness h;
};

TEST_F(PmctlCliTest, EverythingAfterDashDashIsTheApps) {
    // The app's -c is not --cron-restart, its --watch not pmd's watch, its -n not pmctl's name.
    auto r = h.pmctl({"start", "-n", "x", "--env", "A=1", "--", "sh", "-c", "exec sleep 1000", "--watch", "-n", "y"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Started x"));
    auto spec = spec_of("x");
    EXPECT_EQ(spec.at("command"), nlohmann::json({"sh", "-c", "exec sleep 1000", "--watch", "-n", "y"}));
    EXPECT_FALSE(spec.value("watch", false));
    EXPECT_EQ(spec.value("cron_restart", ""), "");
    EXPECT_EQ(spec.at("env").at("A"), "1");
    EXPECT_FALSE(h.find_app("y"));
}

TEST_F(PmctlCliTest, UsageErrorsExit2AndUnknownCommandsGetASuggestion) {
    auto r = h.pmctl({"lss"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("did you mean 'ls'?"));
    EXPECT_EQ(h.pmctl({"stop"}).exit_code, 2);
    EXPECT_EQ(h.pmctl({"ls", "--bogus"}).exit_code, 2);
    EXPECT_EQ(h.pmctl({"logs", "-n", "abc"}).exit_code, 2);
    EXPECT_EQ(h.pmctl({"start"}).exit_code, 2);
    EXPECT_EQ(h.pmctl({"--timeout", "soon", "ping"}).exit_code, 2);
    EXPECT_EQ(h.pmctl({"--help"}).exit_code, 0);
}

TEST_F(PmctlCliTest, StartScriptPicksTheInterpreterAndNamesTheAppAfterTheScript) {
    auto py = write_script("server.py", "import time\nwhile True:\n    time.sleep(60)\n");
    auto r = h.pmctl({"start", py.string(), "-i", "2", "--name", "api"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(spec_of("api").at("command"), nlohmann::json({"python3", py.string()}));
    EXPECT_EQ(h.instances("api").size(), 2u);

    // No -n: the script's base name without extension, as PM2; arguments after -- are the script's.
    auto sh = write_script("worker.sh", "exec sleep 1000\n");
    r = h.pmctl({"start", sh.string(), "--", "--port", "80"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Started worker"));
    EXPECT_EQ(spec_of("worker").at("command"), nlohmann::json({"bash", sh.string(), "--port", "80"}));

    // A command given after -- is named after its first word, as PM2 names `python3 -- server.py`.
    r = h.pmctl({"start", "--", "python3", py.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(h.find_app("python3"));

    // A script that is not there is refused before anything starts.
    r = h.pmctl({"start", (h.dir() / "missing.js").string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("missing.js"));
    EXPECT_FALSE(h.find_app("missing"));
}

TEST_F(PmctlCliTest, StartNameOfAStoppedAppStartsIt) {
    ASSERT_EQ(h.pmctl({"start", "-n", "again", "--", "sleep", "1000"}).exit_code, 0);
    ASSERT_EQ(h.pmctl({"stop", "again"}).exit_code, 0);
    auto r = h.pmctl({"start", "again"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Started again"));
    EXPECT_TRUE(h.wait_until([&] { return online("again"); }));
}

TEST_F(PmctlCliTest, ABusThatNeverAnswersEndsWithExit3) {
    // Accepts (the kernel queues the connection) and never says a word.
    auto path = h.dir() / "silent.sock";
    UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(listener);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(listener.get(), 8), 0);

    auto r = run_command({PMCTL_BIN, "--bus", "unix:path=" + path.string(), "--timeout", "1s", "ping"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_THAT(r.err, HasSubstr("did not answer"));
}

TEST_F(PmctlCliTest, NoBusThereIsExit3ForEveryCommand) {
    auto absent = "unix:path=" + (h.dir() / "absent.sock").string();
    for (const char* verb : {"ping", "ls", "reopen-logs", "flush"}) {
        auto r = run_command({PMCTL_BIN, "--bus", absent, verb});
        EXPECT_EQ(r.exit_code, 3) << verb << ": " << r.err;
        EXPECT_THAT(r.err, HasSubstr("cannot connect")) << verb;
    }
}

TEST_F(PmctlCliTest, APmdThatNeverAnswersEndsWithExit3) {
    // The bus answers, pmd does not (stopped): the call's deadline ends it.
    ASSERT_EQ(::kill(h.pmd_pid(), SIGSTOP), 0);
    struct Resume {
        pid_t pid;
        ~Resume() { ::kill(pid, SIGCONT); }
    } resume{h.pmd_pid()};
    auto r = h.pmctl({"--timeout", "1s", "ping"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_THAT(r.err, HasSubstr("did not answer"));
}

TEST_F(PmctlCliTest, Pm2NamesJlistPrettylistPidAndLogsTimestamp) {
    ASSERT_EQ(h.pmctl({"start", "-n", "p", "-i", "2", "--", "sh", "-c", "echo hello; exec sleep 1000"}).exit_code, 0);
    for (const char* verb : {"jlist", "prettylist"}) {
        auto r = h.pmctl({verb});
        ASSERT_EQ(r.exit_code, 0) << verb << ": " << r.err;
        auto apps = nlohmann::json::parse(r.out);
        ASSERT_EQ(apps.size(), 1u) << verb;
        EXPECT_EQ(apps[0]["name"], "p");
    }

    std::set<std::string> expected;
    for (auto& instance : h.instances("p")) expected.insert(std::to_string(field<int32_t>(instance, "pid")));
    auto r = h.pmctl({"pid", "p"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream lines(r.out);
    std::set<std::string> printed{std::istream_iterator<std::string>(lines), {}};
    EXPECT_EQ(printed, expected);
    EXPECT_EQ(h.pmctl({"pid", "ghost"}).exit_code, 4);

    // Each line gets the time it is printed, after its prefix, in PM2's default format or the one given.
    ASSERT_TRUE(h.wait_until([&] {
        auto logs = h.pmctl({"logs", "p", "--lines", "1"});
        return logs.out.find("hello") != std::string::npos;
    }));
    r = h.pmctl({"logs", "p", "--timestamp", "--lines", "1"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, ::testing::ContainsRegex("\\| [0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}:[0-9]{2}:[0-9]{2} hello"));
    r = h.pmctl({"logs", "--timestamp=[at] YYYY", "p", "--lines", "1"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, ::testing::ContainsRegex("\\| at [0-9]{4} hello"));
    EXPECT_THAT(h.pmctl({"logs", "p", "--lines", "1"}).out, Not(HasSubstr("at ")));
    // The word after --timestamp is still the app's name, not a format.
    EXPECT_EQ(h.pmctl({"logs", "--timestamp", "ghost", "--lines", "1"}).exit_code, 4);
}

TEST_F(PmctlCliTest, ReadyShowsDashForAppsThatNeverAskedForReadiness) {
    ASSERT_EQ(h.pmctl({"start", "-n", "plain", "--", "sleep", "1000"}).exit_code, 0);
    // sleep never says READY=1: start --wait-ready gives up after --timeout, the app stays.
    ASSERT_EQ(h.pmctl({"--timeout", "1s", "start", "-n", "gated", "--wait-ready", "--", "sleep", "1000"}).exit_code, 3);
    ASSERT_TRUE(h.wait_until([&] { return online("plain") && online("gated"); }));
    EXPECT_EQ(ready_cell("plain"), "-");
    EXPECT_THAT(ready_cell("gated"), ::testing::AnyOf("yes", "no"));
}

// A worker that says READY=1 on the notify socket (after `delay` seconds), except instance
// `never` (NODE_APP_INSTANCE), which stays silent; then waits for its stop signal.
std::string readiness_script(double delay, int never) {
    return "import os, signal, socket, time\n"
           "if os.environ.get('NODE_APP_INSTANCE') != '" + std::to_string(never) + "':\n"
           "    time.sleep(" + std::to_string(delay) + ")\n"
           "    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
           "    s.sendto(b'READY=1', os.environ['NOTIFY_SOCKET'])\n"
           "signal.pause()\n";
}

TEST_F(PmctlCliTest, StartWaitReadyReturnsOnceEveryInstanceIsReady) {
    // READY=1 comes a moment after the spawn, which is when start returned before.
    auto script = write_script("ready.py", readiness_script(0.3, -1));
    auto r = h.pmctl({"start", "-n", "web", "-i", "3", "--wait-ready", "--", "python3", script.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto instances = h.instances("web");
    ASSERT_EQ(instances.size(), 3u);
    for (auto& i : instances) EXPECT_TRUE(field<bool>(i, "ready")) << "instance " << field<uint32_t>(i, "index") << " not ready";
}

TEST_F(PmctlCliTest, StartWaitReadyTimesOutWithExit3NamingTheInstancesNotReady) {
    auto script = write_script("ready.py", readiness_script(0, 1));
    auto r = h.pmctl({"--timeout", "2s", "start", "-n", "web", "-i", "2", "--wait-ready", "--listen-timeout", "10m", "--",
                      "python3", script.string()});
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("not ready within 2s"));
    EXPECT_THAT(r.err, HasSubstr("web: instance 1 (pid "));
    EXPECT_THAT(r.err, Not(HasSubstr("instance 0")));
    EXPECT_THAT(r.out, Not(HasSubstr("Started")));
    EXPECT_TRUE(online("web")) << "the app keeps running";
}

// As `pm2 start ecosystem.config.js` waits for the ready message of apps with wait_ready.
TEST_F(PmctlCliTest, StartFileWaitsForItsWaitReadyApps) {
    auto script = write_script("ready.py", readiness_script(0, 1));
    auto file = h.dir() / "apps.toml";
    write_text_file(file, "[[app]]\nname = \"plain\"\ncommand = \"sleep 1000\"\n\n"
                          "[[app]]\nname = \"gated\"\ncommand = [\"python3\", \"" + script.string() + "\"]\n"
                          "instances = 2\nwait_ready = true\nlisten_timeout = \"10m\"\n");
    auto r = h.pmctl({"--timeout", "2s", "start", file.string()});
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("gated: instance 1 (pid "));
    EXPECT_THAT(r.err, Not(HasSubstr("plain")));
}

TEST_F(PmctlCliTest, StartWaitReadyOfAnAppThatErrorsExits1) {
    auto r = h.pmctl({"start", "-n", "crash", "--wait-ready", "--max-restarts", "1", "--min-uptime", "10s", "--", "sh", "-c",
                      "exit 7"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("app 'crash' is errored and will not become ready"));
}

}  // namespace
}  // namespace pmd::test
