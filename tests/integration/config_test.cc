// Apps from files as a user meets them: apps_dir at boot, StartFile with [defaults] and profiles,
// save/resurrect across a pmd restart, daemon-reload (and SIGHUP), pmctl import, pmd run.
#include <signal.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "pmd_harness.h"

namespace pmd::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

void write(const std::filesystem::path& path, const std::string& text) { put_file(path, text); }
std::string read(const std::filesystem::path& path) { return file_text(path); }

std::string sleeper(const std::string& name, const std::string& seconds = "1000") {
    return "[[app]]\nname = \"" + name + "\"\ncommand = [\"sleep\", \"" + seconds + "\"]\n";
}

class ConfigTest : public ::testing::Test {
protected:
    void TearDown() override {
        if (HasFailure()) std::cerr << "--- pmd log ---\n" << h.pmd_log();
    }
    std::filesystem::path apps_dir() { return h.dir() / "pmd.d"; }
    // pmd.toml with apps_dir inside the test directory, so /etc/pmd.d never leaks in.
    void write_config(const std::string& extra = "") {
        write(h.dir() / "pmd.toml", "apps_dir = \"" + apps_dir().string() + "\"\n" + extra);
    }
    std::map<std::string, std::string> sources() {
        std::map<std::string, std::string> out;
        for (auto& app : h.list_apps()) out[field<std::string>(app, "name")] = field<std::string>(app, "source");
        return out;
    }
    int32_t pid_of(const std::string& app) {
        for (auto& i : h.instances(app)) return field<int32_t>(i, "pid");
        return 0;
    }
    bool online(const std::string& app) {
        auto a = h.find_app(app);
        return a && field<std::string>(*a, "state") == "online";
    }

    PmdHarness h;
};

TEST_F(ConfigTest, BootStartsGoodAppFilesAndReportsBadOnesWithPositions) {
    write_config();
    write(apps_dir() / "10-good.toml", sleeper("good"));
    write(apps_dir() / "20-bad.toml", sleeper("bad") + "instancez = 2\n");
    h.start_pmd();  // READY=1 comes after boot start: no waiting needed
    auto s = sources();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s["good"], "file:" + (apps_dir() / "10-good.toml").string());
    EXPECT_TRUE(online("good"));
    std::string log = h.pmd_log();
    EXPECT_THAT(log, HasSubstr("20-bad.toml:4:1"));
    EXPECT_THAT(log, HasSubstr("instancez"));
    EXPECT_THAT(log, HasSubstr("pmctl daemon-reload"));
}

TEST_F(ConfigTest, BadPmdTomlStopsPmdNamingFileLineColumn) {
    write(h.dir() / "pmd.toml", "resurrect = \"yes\"\n");
    auto r = run_command({PMD_BIN, "--bus", h.address(), "--state-dir", (h.dir() / "state").string(), "--log-dir",
                          (h.dir() / "log").string(), "--config", (h.dir() / "pmd.toml").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr("pmd.toml:1:"));
    EXPECT_THAT(r.err, HasSubstr("pmd did not start"));
}

TEST_F(ConfigTest, SaveRestartResurrectIsIdempotent) {
    write_config("resurrect = false\n");
    h.start_pmd();
    ASSERT_EQ(h.pmctl({"start", "-n", "kept", "-i", "2", "--", "sleep", "1000"}).exit_code, 0);
    auto r = h.pmctl({"save"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr((h.dir() / "state" / "dump.toml").string()));
    EXPECT_EQ(std::filesystem::status(h.dir() / "state" / "dump.toml").permissions() & std::filesystem::perms::others_read,
              std::filesystem::perms::none);
    ASSERT_TRUE(WIFEXITED(h.stop_pmd()));

    // resurrect = false: nothing comes back by itself; pmctl resurrect brings it, once.
    h.start_pmd();
    EXPECT_TRUE(h.list_apps().empty());
    r = h.pmctl({"resurrect"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Started kept"));
    ASSERT_TRUE(h.wait_until([&] { return online("kept"); }));
    EXPECT_EQ(h.instances("kept").size(), 2u);
    r = h.pmctl({"resurrect"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("running already"));
    EXPECT_EQ(h.list_apps().size(), 1u);
    ASSERT_TRUE(WIFEXITED(h.stop_pmd()));

    // resurrect = true (the default): back at boot, with the apps_dir app not duplicated.
    write_config();
    write(apps_dir() / "kept.toml", sleeper("kept"));
    h.start_pmd();
    auto s = sources();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s["kept"], "file:" + (apps_dir() / "kept.toml").string());
    r = h.pmctl({"resurrect"});
    EXPECT_THAT(r.out, HasSubstr("running already"));
    EXPECT_EQ(h.list_apps().size(), 1u);
}

TEST_F(ConfigTest, DaemonReloadAddsChangesRemovesAndLeavesHandStartedAppsAlone) {
    write_config();
    write(apps_dir() / "a.toml", sleeper("a") + sleeper("b"));
    h.start_pmd();
    ASSERT_EQ(h.pmctl({"start", "-n", "hand", "--", "sleep", "1000"}).exit_code, 0);
    ASSERT_TRUE(h.wait_until([&] { return online("a") && online("b") && online("hand"); }));
    int32_t hand_pid = pid_of("hand");

    auto r = h.pmctl({"daemon-reload"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("nothing changed"));

    write(apps_dir() / "a.toml", sleeper("a", "999"));          // a changed, b removed
    write(apps_dir() / "c.toml", sleeper("c") + sleeper("hand"));  // c added; hand is not the file's
    r = h.pmctl({"daemon-reload"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("added: c"));
    EXPECT_THAT(r.out, HasSubstr("reloaded: a"));  // a rolling reload to the new spec
    EXPECT_THAT(r.out, HasSubstr("removed: b"));
    EXPECT_THAT(r.err, HasSubstr("skipped: hand"));
    auto s = sources();
    EXPECT_EQ(s.count("b"), 0u);
    EXPECT_EQ(s["hand"], "request");
    EXPECT_EQ(pid_of("hand"), hand_pid);
    ASSERT_TRUE(h.wait_until([&] { return online("a") && online("c"); }));
    std::ifstream cmdline("/proc/" + std::to_string(pid_of("a")) + "/cmdline");
    std::string args((std::istreambuf_iterator<char>(cmdline)), {});
    EXPECT_THAT(args, HasSubstr("999"));

    // A bad file refuses the whole reload: nothing changes.
    write(apps_dir() / "d.toml", sleeper("d") + "bogus = 1\n");
    std::filesystem::remove(apps_dir() / "c.toml");
    r = h.pmctl({"daemon-reload"});
    EXPECT_EQ(r.exit_code, 1);  // pmd refused (pmctl's exit codes)
    EXPECT_THAT(r.err, HasSubstr("d.toml:4:1"));
    EXPECT_THAT(r.err, HasSubstr("nothing was changed"));
    EXPECT_EQ(sources().count("c"), 1u);

    // SIGHUP (systemctl reload pmd) does the same as daemon-reload, and pmd survives it.
    std::filesystem::remove(apps_dir() / "d.toml");
    kill(h.pmd_pid(), SIGHUP);
    ASSERT_TRUE(h.wait_until([&] { return sources().count("c") == 0; }));
    EXPECT_EQ(h.pmctl({"ping"}).exit_code, 0);
    EXPECT_EQ(pid_of("hand"), hand_pid);
}

TEST_F(ConfigTest, StartFileAppliesDefaultsOnlyAndProfile) {
    write_config("[defaults]\nenv = { FROM_DEFAULTS = \"yes\" }\n");
    h.start_pmd();
    auto out = h.dir() / "web.out";
    write(h.dir() / "apps.toml",
          "[[app]]\nname = \"web\"\ncommand = [\"sh\", \"-c\", \"echo $FROM_DEFAULTS $MODE > " + out.string() +
              "; exec sleep 1000\"]\nenv = { MODE = \"dev\" }\nenv_production = { MODE = \"prod\" }\n" + sleeper("worker"));
    auto r = h.pmctl({"start", (h.dir() / "apps.toml").string(), "--only", "web", "--env", "production"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Started web"));
    ASSERT_TRUE(h.wait_until([&] { return read(out) == "yes prod\n"; })) << read(out);
    auto s = sources();
    EXPECT_EQ(s.size(), 1u);
    EXPECT_EQ(s["web"], "file:" + (h.dir() / "apps.toml").string());

    // All or nothing: web exists already and ghost is unknown, so worker does not start either.
    r = h.pmctl({"start", (h.dir() / "apps.toml").string(), "--only", "web,worker,ghost"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr("ghost"));
    EXPECT_THAT(r.err, HasSubstr("'web' exists already"));
    EXPECT_EQ(sources().count("worker"), 0u);

    write(h.dir() / "bad.toml", sleeper("x") + "kill_timeout = \"soon\"\n");
    r = h.pmctl({"start", (h.dir() / "bad.toml").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr("bad.toml:4:"));
}

TEST(ConfigImport, EcosystemJsonAndJsWithNotesOnStderr) {
    auto dir = std::filesystem::temp_directory_path() / ("pmd-import-" + std::to_string(getpid()));
    write(dir / "ecosystem.json",
          R"({"apps": [{"name": "api", "script": "server.js", "instances": 2, "exec_mode": "cluster",
             "env_production": {"NODE_ENV": "production"}, "vizion": false}]})");
    write(dir / "ecosystem.config.js",
          "module.exports = { apps: [{ name: 'worker', script: 'worker.js', max_memory_restart: '300M', pmx: true }] };\n");
    auto r = run_command({PMCTL_BIN, "import", (dir / "ecosystem.json").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("[[app]]"));
    EXPECT_THAT(r.out, HasSubstr("name = \"api\""));
    EXPECT_THAT(r.out, HasSubstr("env_production"));
    EXPECT_THAT(r.out, HasSubstr("exec_mode = \"cluster\""));
    EXPECT_THAT(r.err, HasSubstr("vizion"));
    r = run_command({PMCTL_BIN, "import", (dir / "ecosystem.config.js").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("name = \"worker\""));
    EXPECT_THAT(r.err, HasSubstr("pmx"));
    std::filesystem::remove_all(dir);
}

TEST(ConfigRun, PmdRunForwardsOutputAndExitsWithItsApps) {
    auto dir = std::filesystem::temp_directory_path() / ("pmd-run-test-" + std::to_string(getpid()));
    write(dir / "ok.toml", "[[app]]\nname = \"hello\"\ncommand = [\"sh\", \"-c\", \"echo hello-from-run\"]\n"
                           "autorestart = false\ninstances = 2\n");
    write(dir / "fail.toml", "[[app]]\nname = \"sad\"\ncommand = [\"sh\", \"-c\", \"echo oops >&2; exit 3\"]\n"
                             "autorestart = false\n");
    auto no_config = (dir / "none.toml").string();
    auto r = run_command({PMD_BIN, "--config", no_config, "run", (dir / "ok.toml").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "hello-from-run\nhello-from-run\n");
    r = run_command({PMD_BIN, "--config", no_config, "run", (dir / "fail.toml").string()});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr("oops"));
    std::filesystem::remove_all(dir);
}

// pmd run as PID 1 of its own pid namespace, as in a container: the exit code comes out, a
// SIGTERM from outside stops the apps and gives 0, and an orphaned grandchild is reaped.
TEST(ConfigRun, PmdRunAsPid1OfAPidNamespace) {
    auto dir = std::filesystem::temp_directory_path() / ("pmd-run-ns-" + std::to_string(getpid()));
    write(dir / "fail.toml", "[[app]]\nname = \"sad\"\ncommand = [\"sh\", \"-c\", \"exit 3\"]\nautorestart = false\n");
    write(dir / "serve.toml", "[[app]]\nname = \"serve\"\ncommand = [\"sh\", \"-c\", "
                              "\"(sleep 0 &) ; echo up ; exec sleep 1000\"]\n");
    auto no_config = (dir / "none.toml").string();
    std::vector<std::string> ns{"unshare", "--pid", "--fork", "--mount-proc", PMD_BIN, "--config", no_config, "run"};

    auto argv = ns;
    argv.push_back((dir / "fail.toml").string());
    auto r = run_command(argv);
    EXPECT_EQ(r.exit_code, 1) << r.err;

    // The long-running one: read "up", find pmd (unshare's child), SIGTERM it from outside.
    argv = ns;
    argv.push_back((dir / "serve.toml").string());
    int out[2];
    ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
    pid_t unshare_pid = fork();
    if (unshare_pid == 0) {
        dup2(out[1], 1);
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    close(out[1]);
    ChildProcess unshare(unshare_pid, static_cast<int>(syscall(SYS_pidfd_open, unshare_pid, 0)));
    std::string got;
    char buf[256];
    while (got.find("up\n") == std::string::npos) {
        struct pollfd p{out[0], POLLIN, 0};
        ASSERT_EQ(poll(&p, 1, 10000), 1) << "no output from the app within 10 s";
        ssize_t n = ::read(out[0], buf, sizeof buf);
        ASSERT_GT(n, 0);
        got.append(buf, static_cast<size_t>(n));
    }
    close(out[0]);
    pid_t pmd_pid = 0;
    std::ifstream children("/proc/" + std::to_string(unshare_pid) + "/task/" + std::to_string(unshare_pid) + "/children");
    children >> pmd_pid;
    ASSERT_GT(pmd_pid, 0);
    // The orphan (sleep 0, its parent subshell gone before "up") is PID 1's to reap: it must
    // go, and no zombie may stay. By "up" pmd's children are the app's process and the orphan
    // (running, or a zombie once it exits), so the orphan is reaped when one child is left.
    // (Waiting only for "no zombie" could end while the orphan still ran, and then see it dead.)
    auto children_states = [&] {
        std::ifstream kids("/proc/" + std::to_string(pmd_pid) + "/task/" + std::to_string(pmd_pid) + "/children");
        std::vector<char> states;
        pid_t kid;
        while (kids >> kid) {
            std::ifstream stat("/proc/" + std::to_string(kid) + "/stat");
            std::string line;
            std::getline(stat, line);
            auto close_paren = line.rfind(')');
            states.push_back(close_paren != std::string::npos && line.size() > close_paren + 2 ? line[close_paren + 2] : '?');
        }
        return states;
    };
    auto zombies = [&] {
        auto states = children_states();
        return std::count(states.begin(), states.end(), 'Z');
    };
    auto end = std::chrono::steady_clock::now() + 10s;
    while ((children_states().size() != 1 || zombies() > 0) && std::chrono::steady_clock::now() < end) {
        struct pollfd none{-1, 0, 0};
        poll(&none, 0, 10);  // the reap is pmd's; nothing of ours to wait on but time
    }
    EXPECT_EQ(children_states().size(), 1u) << "the orphan was not reaped";
    EXPECT_EQ(zombies(), 0);
    kill(pmd_pid, SIGTERM);
    int status = unshare.wait(20s);
    ASSERT_NE(status, -1) << "pmd run did not exit after SIGTERM";
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pmd::test
