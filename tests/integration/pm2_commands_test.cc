// PM2 commands a PM2 user types on day one and pmctl lacked: env, reset, report, startup and
// unstartup; and /metrics from a pmd run out of its build tree. Everything through pmctl
// against a real pmd (the error names also over the bus, where pmctl shows only the message).
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "pmd_harness.h"

namespace pmd::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class Pm2CommandsTest : public ::testing::Test {
protected:
    void TearDown() override {
        if (HasFailure()) std::cerr << "--- pmd log ---\n" << h.pmd_log();
    }

    // The app of `pmctl ls --json` named `name` (null if none).
    nlohmann::json listed(const std::string& name) {
        auto r = h.pmctl({"ls", "--json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        for (auto& a : nlohmann::json::parse(r.out))
            if (a.at("name") == name) return a;
        return nullptr;
    }

    // Every instance of `name` online with a pid.
    bool online(const std::string& name, size_t count) {
        auto instances = h.instances(name);
        if (instances.size() != count) return false;
        for (const auto& i : instances)
            if (field<std::string>(i, "state") != "online" || field<int32_t>(i, "pid") <= 0) return false;
        return true;
    }

    // The D-Bus error name of App.Environment(instance) on `app`, "" if it succeeded.
    std::string environment_error(const std::string& app, uint32_t instance) {
        sdbus::ObjectPath path;
        h.manager().callMethod("GetApp").onInterface("org.pmd.God1.Manager").withArguments(app).storeResultsTo(path);
        auto proxy = sdbus::createProxy(h.connection(), "org.pmd.God1", path);
        try {
            std::vector<std::string> env;
            proxy->callMethod("Environment").onInterface("org.pmd.God1.App").withArguments(instance).storeResultsTo(env);
            return "";
        } catch (const sdbus::Error& e) {
            return e.getName();
        }
    }

    PmdHarness h;
};

TEST_F(Pm2CommandsTest, EnvPrintsTheEnvironmentOfTheRunningProcess) {
    h.start_pmd();
    auto r = h.pmctl({"start", "-n", "envy", "-i", "2", "--env", "PMDTEST_GREETING=hello world", "--", "sleep", "1000"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(h.wait_until([&] { return online("envy", 2); }));

    r = h.pmctl({"env", "envy"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // PM2's shape, KEY: VALUE; what the process got, pmd's own variables included.
    EXPECT_THAT(r.out, HasSubstr("PMDTEST_GREETING: hello world\n"));
    EXPECT_THAT(r.out, HasSubstr("PMD_APP: envy\n"));
    EXPECT_THAT(r.out, HasSubstr("PMD_INSTANCE: 0\n"));

    r = h.pmctl({"env", "envy", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("PMD_INSTANCE: 1\n"));
    EXPECT_THAT(r.out, Not(HasSubstr("PMD_INSTANCE: 0\n")));

    // The same as /proc says, entry for entry.
    int32_t pid = field<int32_t>(h.instances("envy").at(1), "pid");
    std::ifstream in("/proc/" + std::to_string(pid) + "/environ");
    std::string expected, entry;
    while (std::getline(in, entry, '\0')) {
        auto eq = entry.find('=');
        expected += entry.substr(0, eq) + ": " + entry.substr(eq + 1) + "\n";
    }
    EXPECT_EQ(r.out, expected);
}

TEST_F(Pm2CommandsTest, EnvNamesWhatIsMissing) {
    h.start_pmd();
    ASSERT_EQ(h.pmctl({"start", "-n", "one", "--", "sleep", "1000"}).exit_code, 0);
    ASSERT_TRUE(h.wait_until([&] { return online("one", 1); }));

    auto r = h.pmctl({"env", "nosuch"});
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("no app named 'nosuch'"));

    r = h.pmctl({"env", "one", "3"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("app 'one' has one instance (0); there is no instance 3"));
    EXPECT_EQ(environment_error("one", 3), "org.pmd.God1.Error.NoSuchInstance");

    ASSERT_EQ(h.pmctl({"stop", "one"}).exit_code, 0);
    r = h.pmctl({"env", "one"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("instance 0 of app 'one' is not running (stopped)"));
    EXPECT_EQ(environment_error("one", 0), "org.pmd.God1.Error.NotRunning");

    r = h.pmctl({"env"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
}

TEST_F(Pm2CommandsTest, ResetZeroesRestartsAndUnstableRestartsAndAnnouncesIt) {
    h.start_pmd();
    // Three runs shorter than min_uptime (unstable), then one that stays.
    auto count = h.dir() / "runs";
    std::string script = "n=$(cat '" + count.string() + "' 2>/dev/null || echo 0); echo $((n+1)) > '" + count.string() +
                         "'; [ $n -ge 3 ] && exec sleep 1000; exit 1";
    auto r = h.pmctl({"start", "-n", "flaky", "--min-uptime", "5s", "--", "sh", "-c", script});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(h.wait_until([&] {
        auto app = listed("flaky");
        return !app.is_null() && app["instances"].size() == 1 && app["instances"][0].value("restarts", 0u) == 3 &&
               app["instances"][0].value("state", "") == "online";
    }, 30s));
    auto before = listed("flaky")["instances"][0];
    ASSERT_EQ(before.value("unstable_restarts", 0u), 3u) << before.dump();
    ASSERT_EQ(h.pmctl({"start", "-n", "steady", "--", "sleep", "1000"}).exit_code, 0);
    ASSERT_TRUE(h.wait_until([&] { return online("steady", 1); }));
    ASSERT_EQ(h.pmctl({"restart", "steady"}).exit_code, 0);
    ASSERT_TRUE(h.wait_until([&] { return online("steady", 1); }));
    ASSERT_EQ(listed("steady")["instances"][0].value("restarts", 0u), 1u);

    // Restarts were 3: a Restarts of 0 announced for flaky can only be the reset's.
    bool announced = false;
    auto match = h.connection().addMatch(
        "type='signal',sender='org.pmd.God1',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
        "path='/org/pmd/God1/app/flaky'",
        [&](sdbus::Message& m) {
            std::string iface;
            std::map<std::string, sdbus::Variant> changed;
            m >> iface >> changed;
            auto it = changed.find("Restarts");
            if (it != changed.end() && it->second.get<uint32_t>() == 0) announced = true;
        });
    int32_t pid = before.value("pid", 0);
    r = h.pmctl({"reset", "flaky"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("flaky"));
    EXPECT_TRUE(h.wait_until([&] { return announced; })) << "no PropertiesChanged with Restarts = 0";
    auto after = listed("flaky");
    EXPECT_EQ(after.value("restarts", 99u), 0u) << after.dump();
    EXPECT_EQ(after["instances"][0].value("restarts", 99u), 0u);
    EXPECT_EQ(after["instances"][0].value("unstable_restarts", 99u), 0u);
    EXPECT_EQ(after["instances"][0].value("pid", 0), pid) << "reset must not restart anything";
    EXPECT_EQ(listed("steady")["instances"][0].value("restarts", 0u), 1u) << "only the named app is reset";

    r = h.pmctl({"reset", "all"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("steady"));
    EXPECT_EQ(listed("steady")["instances"][0].value("restarts", 99u), 0u);

    r = h.pmctl({"reset", "nosuch"});
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("no app named 'nosuch'"));
}

TEST_F(Pm2CommandsTest, ReportHoldsWhatABugReportNeeds) {
    std::ofstream(h.dir() / "pmd.toml") << "log_max_files = 7\n[defaults]\nkill_timeout = \"3s\"\n";
    h.start_pmd();
    // A crash pmd warns about, to be found in the report's log section.
    ASSERT_EQ(h.pmctl({"start", "-n", "crasher", "--no-autorestart", "--", "sh", "-c", "exit 3"}).exit_code, 0);
    ASSERT_TRUE(h.wait_until([&] { return !h.exits().empty(); }));
    ASSERT_EQ(h.pmctl({"start", "-n", "sleeper", "--", "sleep", "1000"}).exit_code, 0);
    ASSERT_TRUE(h.wait_until([&] { return online("sleeper", 1); }));

    auto r = h.pmctl({"report"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    struct utsname u {};
    ASSERT_EQ(uname(&u), 0);
    EXPECT_THAT(r.out, HasSubstr("pmd version         : " PMD_VERSION "\n"));
    EXPECT_THAT(r.out, HasSubstr("pmctl version       : " PMD_VERSION "\n"));
    EXPECT_THAT(r.out, HasSubstr(std::string("kernel              : Linux ") + u.release));
    EXPECT_THAT(r.out, HasSubstr("libsystemd          : "));
    EXPECT_THAT(r.out, HasSubstr("pid                 : " + std::to_string(h.pmd_pid()) + "\n"));
    // The cgroup facts: the host's layout and pmd's own subtree.
    std::string layout = std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers") ? "unified"
                         : std::filesystem::exists("/sys/fs/cgroup/unified/cgroup.controllers") ? "hybrid"
                                                                                               : "legacy";
    EXPECT_THAT(r.out, HasSubstr("layout              : " + layout + "\n"));
    EXPECT_THAT(r.out, HasSubstr("delegated to pmd    : "));
    EXPECT_THAT(r.out, HasSubstr("enabled for apps    : "));
    // The effective settings: the file's, the harness's --log-dir over log_dir, [defaults].
    EXPECT_THAT(r.out, HasSubstr("log_max_files = 7\n"));
    EXPECT_THAT(r.out, HasSubstr("log_dir = \"" + (h.dir() / "log").string() + "\"\n"));
    EXPECT_THAT(r.out, HasSubstr("[defaults]\nkill_timeout = \"3s\"\n"));
    // The apps with their states, and the warning about the crash.
    EXPECT_THAT(r.out, HasSubstr("sleeper"));
    EXPECT_THAT(r.out, HasSubstr("online"));
    EXPECT_THAT(r.out, HasSubstr("crasher"));
    auto log_section = r.out.find("--- pmd's last warnings and errors");
    ASSERT_NE(log_section, std::string::npos) << r.out;
    EXPECT_THAT(r.out.substr(log_section), HasSubstr("exited with status 3"));
}

TEST_F(Pm2CommandsTest, StartupAndUnstartupSayWhichCommandsToRun) {
    // No pmd is needed: nothing is asked of it, nothing is run.
    auto r = h.pmctl({"startup"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("systemctl enable --now pmd\n"));
    EXPECT_THAT(r.out, HasSubstr("systemctl --user enable --now pmd\n"));
    EXPECT_THAT(r.out, HasSubstr("loginctl enable-linger"));
    // PM2's `pm2 startup systemd`.
    EXPECT_EQ(h.pmctl({"startup", "systemd"}).out, r.out);

    r = h.pmctl({"unstartup"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("systemctl disable pmd\n"));
    EXPECT_THAT(r.out, HasSubstr("systemctl --user disable pmd\n"));
}

// README's demo runs pmd from the build tree with metrics_listen and nothing else: pmd finds
// the module this build made.
TEST_F(Pm2CommandsTest, PmdFromTheBuildTreeServesMetricsWithItsOwnModule) {
    int port = 20000 + (::getpid() + 29) % 20000;
    std::ofstream(h.dir() / "pmd.toml") << "metrics_listen = \"tcp:127.0.0.1:" << port << "\"\n";
    // Empty: the harness passes no module path, and pmd takes an empty one as unset.
    const char* saved = std::getenv("PMD_METRICS_MODULE");
    std::string saved_value = saved ? saved : "";
    ::setenv("PMD_METRICS_MODULE", "", 1);
    h.start_pmd();
    if (saved) ::setenv("PMD_METRICS_MODULE", saved_value.c_str(), 1);
    else ::unsetenv("PMD_METRICS_MODULE");
    std::string built = std::filesystem::path(PMD_METRICS_MODULE_FILE).lexically_normal().string();
    EXPECT_THAT(h.pmd_log(), HasSubstr("serving Prometheus metrics on http://127.0.0.1:" + std::to_string(port) +
                                       "/metrics (cpp-httplib, " + built + ")"));
    httplib::Client client("127.0.0.1", port);
    auto res = client.Get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_THAT(res->body, HasSubstr("pmd_apps 0"));
}

}  // namespace
}  // namespace pmd::test
