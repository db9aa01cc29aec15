// A PM2 user's ecosystem file starts under pmd as converted: `pmctl import FILE > apps.toml &&
// pmctl start apps.toml`. The files (src/config/testdata/ecosystem/) reproduce the shapes of
// real ones (which keys, which value shapes); each is imported, the scripts it names are
// created as small stand-ins that stay up, and every instance of every app must come online,
// be ready and not have restarted. Node apps get PM2's IPC channel: process.send('ready') is
// readiness and shutdown_with_message delivers 'shutdown'.
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>


#include "config/app_file.h"
#include "pmd_harness.h"

namespace pmd::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::filesystem::path kEcosystems = ECOSYSTEM_DIR;

enum class Stub { Node, Python, Shell, NpmPackage, Python3Link };

struct StubFile {
    std::string path;  // relative to the ecosystem file's directory
    Stub kind;
};

struct Fixture {
    std::string file;
    std::vector<StubFile> stubs;
    std::vector<std::string> files_made;  // log files pmd must have created (relative; "~/" = HOME)
};

// Logs whether the IPC channel is there, says ready on it when it is, answers 'shutdown' by
// logging it and exiting, and otherwise stays up.
constexpr const char* kNodeStub =
    "console.log('connected=' + process.connected);\n"
    "if (process.send) process.send('ready');\n"
    "process.on('message', (m) => { if (m === 'shutdown') { console.log('got shutdown'); process.exit(0); } });\n"
    "process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(0); });\n"
    "setInterval(() => {}, 1 << 30);\n";
constexpr const char* kPythonStub = "import time\nprint('up', flush=True)\nwhile True:\n    time.sleep(3600)\n";
constexpr const char* kShellStub = "#!/bin/sh\necho up\nexec sleep 100000\n";
constexpr const char* kPackageJson = R"({"name": "stub", "version": "1.0.0", "scripts": {"start": "node server.js"}})";


void make_stub(const std::filesystem::path& dir, const StubFile& stub) {
    auto path = dir / stub.path;
    switch (stub.kind) {
        case Stub::Node: put_file(path, kNodeStub); break;
        case Stub::Python: put_file(path, kPythonStub); break;
        case Stub::Shell:
            put_file(path, kShellStub);
            ::chmod(path.c_str(), 0755);
            break;
        case Stub::NpmPackage:
            put_file(path / "package.json", kPackageJson);
            put_file(path / "server.js", kNodeStub);
            break;
        case Stub::Python3Link:
            std::filesystem::create_directories(path.parent_path());
            std::filesystem::create_symlink("/usr/bin/python3", path);
            break;
    }
}

// Test names and failure messages show the file, not the bytes of the struct.
void PrintTo(const Fixture& fixture, std::ostream* os) { *os << fixture.file; }

// clang-format off
const std::vector<Fixture> kFixtures = {
    {"shell-command.config.js", {{".", Stub::NpmPackage}}, {}},
    {"esm-export.config.mjs", {{"srv/server.js", Stub::Node}}, {}},
    {"name-with-spaces.config.js", {{"index.js", Stub::Node}}, {}},
    {"npm-script-args.config.js", {{"collector", Stub::NpmPackage}},
     {"~/.pm2/logs/collector-out.log", "~/.pm2/logs/collector-error.log"}},
    {"dirname-logs.config.js", {{"index.js", Stub::Node}}, {"run-manager.log"}},
    {"computed-name.config.js", {{"build/src/index.js", Stub::Node}}, {}},
    {"python-logs.config.js", {{"web_app.py", Stub::Python}}, {"logs/pm2-out.log", "logs/pm2-error.log"}},
    {"python-cmd-alias.config.js", {{"hello.py", Stub::Python}}, {"pids/echo-0.pid", "pids/echo-3.pid"}},
    {"python-cron.config.js", {{"maintenance.py", Stub::Python}}, {}},
    {"venv-module.config.js", {{"venv/bin/python", Stub::Python3Link}, {"app/agent.py", Stub::Python}}, {}},
    {"node-runs-npm.config.js", {{".", Stub::NpmPackage}}, {}},
    {"nuxt-cluster.config.cjs", {{".output/server/index.mjs", Stub::Node}}, {}},
    {"env-driven-cluster.config.js", {{"index.js", Stub::Node}}, {}},
    {"nest-cluster.config.js", {{"dist/src/main.js", Stub::Node}}, {}},
    {"many-apps.config.js", {{"src/index.js", Stub::Node}}, {}},
    {"wait-ready.config.js", {{"app.js", Stub::Node}}, {}},
    {"process.yml", {{"src/server.js", Stub::Node}, {"worker.sh", Stub::Shell}}, {}},
    {"process.json", {{"worker.js", Stub::Node}, {"reports.js", Stub::Node}},
     {"logs/mailer.out.log", "logs/mailer.err.log", "mailer.pid"}},
    {"express-bin-www.config.js", {{"bin/www", Stub::Node}, {"static.js", Stub::Node}}, {}},
    {"shutdown-message.config.js", {{"graceful.js", Stub::Node}, {"connection_check.sh", Stub::Shell}}, {}},
};
// clang-format on

class ImportStarts : public ::testing::TestWithParam<Fixture> {
protected:
    void SetUp() override {
        dir_ = h.dir() / "project";
        home_ = h.dir() / "home";
        std::filesystem::create_directories(dir_);
        std::filesystem::create_directories(home_);
        std::filesystem::copy_file(kEcosystems / GetParam().file, dir_ / GetParam().file);
        h.start_pmd();
    }
    void TearDown() override {
        if (HasFailure()) std::cerr << "--- apps.toml ---\n" << file_text(dir_ / "apps.toml") << "--- pmd log ---\n" << h.pmd_log();
    }

    // pmctl import as a user would run it, with HOME in the test directory (PM2 expands "~/").
    std::string import() {
        auto r = run_command({"env", "HOME=" + home_.string(), PMCTL_BIN, "import", (dir_ / GetParam().file).string()});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_THAT(r.err, Not(HasSubstr("needs a fix"))) << r.out;
        put_file(dir_ / "apps.toml", r.out);
        return r.out;
    }

    PmdHarness h;
    std::filesystem::path dir_, home_;
};

TEST_P(ImportStarts, EveryAppComesOnline) {
    std::string toml = import();
    auto specs = parse_app_text(toml, (dir_ / "apps.toml").string(), dir_, {});
    ASSERT_FALSE(specs.empty());
    for (const auto& stub : GetParam().stubs) make_stub(dir_, stub);

    auto r = h.pmctl({"start", (dir_ / "apps.toml").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;

    unsigned cpus = static_cast<unsigned>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
    auto all_up = [&] {
        for (const auto& spec : specs) {
            auto instances = h.instances(spec.name);
            if (instances.size() != (spec.instances ? spec.instances : cpus)) return false;
            for (const auto& i : instances)
                if (field<std::string>(i, "state") != "online" || !field<bool>(i, "ready") ||
                    field<uint32_t>(i, "restarts") != 0)
                    return false;
        }
        return true;
    };
    // Ready: the app said so (process.send('ready')), or it has stayed up listen_timeout.
    EXPECT_TRUE(h.wait_until(all_up, 60s)) << h.pmctl({"ls"}).out;

    for (std::string made : GetParam().files_made) {
        auto path = made.starts_with("~/") ? home_ / made.substr(2) : dir_ / made;
        EXPECT_TRUE(std::filesystem::exists(path)) << path;
    }
}

INSTANTIATE_TEST_SUITE_P(Ecosystems, ImportStarts, ::testing::ValuesIn(kFixtures),
                         [](const ::testing::TestParamInfo<Fixture>& info) {
                             std::string name;
                             for (char c : info.param.file) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                             return name;
                         });

// PM2 creates a missing log folder rather than refusing the start; pmd does too, and for a
// root request of an app with `user` the new folders are that user's.
TEST(ImportLogFolders, MissingFoldersAreCreatedForTheAppsUser) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to start an app as another user";
    auto nobody = run_command({"id", "-u", "nobody"});
    if (nobody.exit_code != 0) GTEST_SKIP() << "no user nobody";
    PmdHarness h;
    h.start_pmd();
    auto logs = h.dir() / "logs";
    put_file(h.dir() / "apps.toml", "[[app]]\nname = \"quiet\"\ncommand = [\"sleep\", \"1000\"]\ncwd = \"/\"\n"
                                     "user = \"nobody\"\nout_file = \"" + (logs / "deep" / "out.log").string() + "\"\n");
    auto r = h.pmctl({"start", (h.dir() / "apps.toml").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err << h.pmd_log();
    uid_t uid = static_cast<uid_t>(std::stoul(nobody.out));
    for (const auto& dir : {logs, logs / "deep"}) {
        struct stat st{};
        ASSERT_EQ(::stat(dir.c_str(), &st), 0) << dir;
        EXPECT_EQ(st.st_uid, uid) << dir;
    }
    EXPECT_TRUE(std::filesystem::exists(logs / "deep" / "out.log"));
}

// Readiness comes through the channel, not the listen_timeout fallback: with wait_ready and
// listen_timeout 50 s, the app is ready only because it called process.send('ready').
// Starts the Node stub as app `name` with the extra keys; its output goes to <dir>/out.log.
std::filesystem::path start_node_app(PmdHarness& h, const std::string& name, const std::string& keys) {
    h.start_pmd();
    auto dir = h.dir() / "app";
    put_file(dir / "app.js", kNodeStub);
    put_file(dir / "apps.toml", "[[app]]\nname = \"" + name + "\"\nscript = \"app.js\"\ninterpreter = \"node\"\n" +
                                    "out_file = \"out.log\"\n" + keys);
    auto r = h.pmctl({"start", (dir / "apps.toml").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return dir;
}

TEST(NodeChannel, ProcessSendReadyIsReadiness) {
    PmdHarness h;
    auto dir = start_node_app(h, "ready", "wait_ready = true\nlisten_timeout = \"50s\"\n");
    EXPECT_TRUE(h.wait_until(
        [&] {
            auto instances = h.instances("ready");
            return instances.size() == 1 && field<bool>(instances[0], "ready");
        },
        30s))
        << h.pmd_log();
    EXPECT_TRUE(h.wait_until([&] { return file_text(dir / "out.log").find("connected=true") != std::string::npos; }, 10s))
        << file_text(dir / "out.log");
}

// shutdown_with_message: the stop sends 'shutdown' on the channel instead of SIGTERM; the app
// logs it and exits on its own, well before kill_timeout.
TEST(NodeChannel, ShutdownWithMessageDeliversShutdown) {
    PmdHarness h;
    auto dir = start_node_app(h, "graceful", "shutdown_with_message = true\nkill_timeout = \"60s\"\n");
    ASSERT_TRUE(h.wait_until([&] { return file_text(dir / "out.log").find("connected=true") != std::string::npos; }, 30s));
    auto r = h.pmctl({"stop", "graceful"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(h.wait_until([&] { return file_text(dir / "out.log").find("got shutdown") != std::string::npos; }, 10s))
        << file_text(dir / "out.log");
    EXPECT_THAT(file_text(dir / "out.log"), Not(HasSubstr("got SIGTERM")));
    ASSERT_TRUE(h.wait_until([&] { return !h.exits().empty(); }, 10s));
    EXPECT_EQ(h.exits().back().reason, "exited") << "it left by itself, not killed after kill_timeout";
    EXPECT_EQ(h.exits().back().code, 0);
}

// The channel is handed to the next pmd with the pidfds: after daemon-reexec the stop still
// reaches the app as 'shutdown'.
TEST(NodeChannel, ChannelSurvivesDaemonReexec) {
    PmdHarness h;
    auto dir = start_node_app(h, "graceful", "shutdown_with_message = true\nkill_timeout = \"60s\"\n");
    ASSERT_TRUE(h.wait_until([&] { return file_text(dir / "out.log").find("connected=true") != std::string::npos; }, 30s));
    auto r = h.pmctl({"daemon-reexec"});
    ASSERT_EQ(r.exit_code, 0) << r.err << h.pmd_log();
    r = h.pmctl({"stop", "graceful"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(h.wait_until([&] { return file_text(dir / "out.log").find("got shutdown") != std::string::npos; }, 10s))
        << file_text(dir / "out.log") << h.pmd_log();
    EXPECT_THAT(file_text(dir / "out.log"), Not(HasSubstr("got SIGTERM")));
}

}  // namespace
}  // namespace pmd::test
