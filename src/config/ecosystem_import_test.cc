#include "config/ecosystem_import.h"

#include <unistd.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

#include "base/error.h"
#include "config/app_file.h"

namespace pmd {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

const std::filesystem::path kTestData = std::filesystem::path(__FILE__).parent_path() / "testdata";

std::vector<AppSpec> apps_of(const ImportResult& result, std::string_view profile = "") {
    AppFileOptions options;
    options.profile = profile;
    return parse_app_text(result.toml, "imported.toml", "/srv", options);
}

TEST(EcosystemImport, ConvertsWhatMapsAndListsWhatDoesNot) {
    auto result = import_ecosystem_json(read_text_file(kTestData / "ecosystem.json"));
    EXPECT_THAT(result.notes, Contains("not converted: apps[1].vizion (no equivalent in pmd)"));
    EXPECT_THAT(result.notes, Contains("changed: apps[1].instances = -1 (CPUs minus 1) became \"max\""));
    EXPECT_THAT(result.notes, Contains(HasSubstr("needs a fix: line 38:16: field 'kill_timeout'")));
    EXPECT_THAT(result.notes, Contains(HasSubstr("field 'kill_timeout'")));
    for (const auto& note : result.notes) EXPECT_THAT(result.toml, HasSubstr("# " + note + "\n"));

    // Once the one bad value is fixed, the file is a valid app file.
    std::string fixed = result.toml;
    fixed.replace(fixed.rfind("\"soon\""), 6, "\"3s\"");  // the last one: notes quote it too
    AppFileOptions options;
    options.profile = "staging";
    auto apps = parse_app_text(fixed, "imported.toml", "/srv", options);
    ASSERT_EQ(apps.size(), 2u);
    const auto& web = apps[0];
    EXPECT_EQ(web.name, "web");
    EXPECT_THAT(web.command, ElementsAre("npm", "start"));
    EXPECT_EQ(web.cwd, "/srv/web");
    EXPECT_EQ(web.instances, 4u);
    EXPECT_EQ(web.out_file, "/var/log/web.out.log");
    EXPECT_EQ(web.error_file, "/var/log/web.err.log");
    EXPECT_TRUE(web.merge_logs);
    EXPECT_EQ(web.log_date_format, "YYYY-MM-DD HH:mm Z");
    EXPECT_EQ(web.restart_delay, 3s);
    EXPECT_EQ(web.max_restarts, 5u);
    EXPECT_EQ(web.min_uptime, 2s);
    EXPECT_FALSE(web.watch);
    EXPECT_EQ(web.watch_delay, 2500ms);
    EXPECT_EQ(web.instance_var, "INSTANCE_ID");
    EXPECT_EQ(web.increment_var, "PORT");
    EXPECT_EQ(web.env,
              (std::map<std::string, std::string>{{"PORT", "8000"}, {"API_URL", "https://staging.example.com"}}));
    const auto& legacy = apps[1];
    EXPECT_EQ(legacy.instances, 0u);
    EXPECT_THAT(legacy.command, ElementsAre("node", "app.js")) << "PM2 ran .js with node";
    EXPECT_EQ(legacy.kill_timeout, 3s);
}

TEST(EcosystemImport, NeedsAFixNotesPointAtTheRightLine) {
    auto result = import_ecosystem_json(
        R"({"apps": [{"name": "a", "script": "x", "kill_timeout": "soon", "min_uptime": "later"}]})");
    std::vector<std::string> lines;
    for (size_t start = 0; start < result.toml.size();) {
        size_t end = result.toml.find('\n', start);
        lines.push_back(result.toml.substr(start, end - start));
        start = end + 1;
    }
    int checked = 0;
    for (const auto& note : result.notes) {
        if (!note.starts_with("needs a fix: line ")) continue;
        size_t line = std::stoul(note.substr(std::string("needs a fix: line ").size()));
        ASSERT_LE(line, lines.size());
        EXPECT_THAT(lines[line - 1],
                    HasSubstr(note.find("kill_timeout") != std::string::npos ? "kill_timeout" : "min_uptime"));
        ++checked;
    }
    EXPECT_EQ(checked, 2);
}

TEST(EcosystemImport, AcceptsABareArrayOrASingleApp) {
    EXPECT_EQ(apps_of(import_ecosystem_json(R"([{"name": "a", "script": "/bin/true"}])")).size(), 1u);
    EXPECT_EQ(apps_of(import_ecosystem_json(R"({"name": "a", "script": "/bin/true"})"))[0].name, "a");
}

// PM2 stops every app with SIGINT, and apps written for PM2 finish their requests on it.
TEST(EcosystemImport, StopsWithPm2sSignal) {
    auto apps = apps_of(import_ecosystem_json(R"([{"name": "a", "script": "/bin/true"}])"));
    ASSERT_EQ(apps.size(), 1u);
    EXPECT_EQ(apps[0].stop_signal, SIGINT);
}

// PM2 runs a Node app whose file gives instances, and no exec_mode, in cluster mode.
TEST(EcosystemImport, NodeAppWithInstancesIsAClusterAsInPm2) {
    auto apps = apps_of(import_ecosystem_json(R"([
        {"name": "a", "script": "/srv/a.js", "instances": 4},
        {"name": "b", "script": "/srv/b.js", "instances": "max"},
        {"name": "c", "script": "/srv/c.js", "instances": 2, "exec_mode": "fork"},
        {"name": "d", "script": "/srv/d.js"},
        {"name": "e", "script": "/srv/e.py", "instances": 2}])"));
    ASSERT_EQ(apps.size(), 5u);
    EXPECT_EQ(apps[0].exec_mode, AppSpec::ExecMode::Cluster);
    EXPECT_EQ(apps[1].exec_mode, AppSpec::ExecMode::Cluster);
    EXPECT_EQ(apps[2].exec_mode, AppSpec::ExecMode::Fork);
    EXPECT_EQ(apps[3].exec_mode, AppSpec::ExecMode::Fork);
    EXPECT_EQ(apps[4].exec_mode, AppSpec::ExecMode::Fork);
}

// wait_ready waits for process.send('ready'), which only a Node app sends: PM2 goes on after
// listen_timeout without it, so for other interpreters the import drops it and says so.
TEST(EcosystemImport, WaitReadyIsKeptForNodeAppsOnly) {
    auto result = import_ecosystem_json(R"([
        {"name": "js", "script": "/srv/a.js", "wait_ready": true},
        {"name": "py", "script": "/srv/a.py", "wait_ready": true}])");
    auto apps = apps_of(result);
    ASSERT_EQ(apps.size(), 2u);
    EXPECT_TRUE(apps[0].wait_ready);
    EXPECT_FALSE(apps[1].wait_ready);
    EXPECT_THAT(result.notes, Contains(HasSubstr("changed: apps[1].wait_ready = true was dropped")));
}

TEST(EcosystemImport, RejectsWhatIsNotAnEcosystemFile) {
    EXPECT_THROW(import_ecosystem_json("{not json"), Error);
    EXPECT_THROW(import_ecosystem_json(R"({"apps": []})"), Error);
    EXPECT_THROW(import_ecosystem_json(R"({"something": 1})"), Error);
}

TEST(EcosystemImport, NestedEnvValuesAreListedNotFlattened) {
    auto result = import_ecosystem_json(
        R"({"apps": [{"name": "a", "script": "/bin/true", "env": {"A": "1", "OBJ": {"x": 1}}}]})");
    EXPECT_THAT(result.notes, Contains(HasSubstr("not converted: apps[0].env.OBJ")));
    EXPECT_EQ(apps_of(result)[0].env, (std::map<std::string, std::string>{{"A", "1"}}));
}

ImportContext context_in(const std::filesystem::path& dir) {
    ImportContext context;
    context.base_dir = dir;
    context.path_env = "/usr/local/bin:/usr/bin:/bin";
    context.home = "/home/ann";
    return context;
}

// PM2's own decisions (lib/Common.js): a script with spaces runs through bash -c, a script
// without a known extension runs with node, a command found on PATH runs as PM2 finds it.
TEST(EcosystemImport, RunsScriptsTheWayPm2Does) {
    auto result = import_ecosystem_json(R"({"apps": [
        {"name": "shell", "script": "npm run start", "args": "ignored"},
        {"name": "www", "script": "./bin/www", "node_args": "--max-old-space-size=128"},
        {"name": "npm", "script": "npm", "args": "run start"},
        {"name": "empty", "script": "app.js", "interpreter": ""},
        {"name": "none", "script": "./server", "interpreter": "none"},
        {"name": "ts", "script": "src/main.ts"},
        {"name": "py", "script": "web.py", "interpreter": "python"}
    ]})", context_in("/srv"));
    auto apps = apps_of(result);
    ASSERT_EQ(apps.size(), 7u) << result.toml;
    EXPECT_THAT(apps[0].command, ElementsAre("bash", "-c", "npm run start"));
    EXPECT_THAT(result.notes, Contains(HasSubstr("apps[0].args: dropped")));
    EXPECT_THAT(apps[1].command, ElementsAre("node", "--max-old-space-size=128", "./bin/www"));
    EXPECT_THAT(apps[2].command, ElementsAre("npm", "run", "start"));
    EXPECT_THAT(apps[3].command, ElementsAre("node", "app.js")) << "interpreter \"\" is none given";
    EXPECT_THAT(apps[4].command, ElementsAre("./server"));
    EXPECT_THAT(apps[5].command, ElementsAre("bun", "src/main.ts")) << "PM2 7 runs .ts with bun";
    EXPECT_THAT(apps[6].command, ElementsAre("python3", "web.py"));
    EXPECT_EQ(apps[6].env.at("PYTHONUNBUFFERED"), "1");
}

TEST(EcosystemImport, Pm2AliasesAndNames) {
    auto result = import_ecosystem_json(R"({"apps": [
        {"name": "Start as Background Process", "cmd": "index.js", "cron": "0 3 * * *", "combine_logs": true,
         "output": "~/logs/out.log", "error": "NULL", "interpreterArgs": ["--inspect"], "port": 3007,
         "shutdown_with_message": true, "watch_options": {"usePolling": true}},
        {"exec": "index.js", "disable_logs": true, "time": true, "log_date_format": "HH:mm"},
        {"command": "worker.js", "name": "index"}
    ]})", context_in("/srv"));
    auto apps = apps_of(result);
    ASSERT_EQ(apps.size(), 3u) << result.toml;
    EXPECT_EQ(apps[0].name, "Start-as-Background-Process");
    EXPECT_THAT(result.notes, Contains(HasSubstr("name \"Start as Background Process\" is")));
    EXPECT_THAT(apps[0].command, ElementsAre("node", "--inspect", "index.js"));
    EXPECT_EQ(apps[0].cron_restart, "0 3 * * *");
    EXPECT_THAT(result.toml, HasSubstr("cron_restart = \"0 3 * * *\"  # PM2: cron\n"));
    EXPECT_TRUE(apps[0].merge_logs);
    EXPECT_EQ(apps[0].out_file, "/home/ann/logs/out.log");
    EXPECT_EQ(apps[0].error_file, "/dev/null");
    EXPECT_EQ(apps[0].env.at("PORT"), "3007");
    EXPECT_TRUE(apps[0].shutdown_with_message);
    EXPECT_THAT(result.notes, Contains(HasSubstr("apps[0].watch_options")));
    EXPECT_EQ(apps[1].name, "index") << "PM2 names an app after its script";
    EXPECT_EQ(apps[1].out_file, "/dev/null");
    EXPECT_EQ(apps[1].error_file, "/dev/null");
    EXPECT_EQ(apps[1].log_date_format, "YYYY-MM-DDTHH:mm:ss") << "time = true wins, as in PM2";
    EXPECT_EQ(apps[2].name, "index-2") << "PM2 allows two apps of one name; pmd does not";
    EXPECT_THAT(apps[2].command, ElementsAre("node", "worker.js"));
}

TEST(EcosystemImport, RelativeLogPathsResolveAgainstTheAppsCwd) {
    auto result = import_ecosystem_json(
        R"({"apps": [{"name": "a", "script": "a.js", "cwd": "api", "out_file": "./logs/out.log", "error_file": "err.log"}]})",
        context_in("/srv"));
    auto apps = apps_of(result);
    ASSERT_EQ(apps.size(), 1u);
    EXPECT_EQ(apps[0].cwd, "/srv/api");
    EXPECT_EQ(apps[0].out_file, "/srv/api/logs/out.log");
    EXPECT_EQ(apps[0].error_file, "/srv/api/err.log");
}

bool have_node() {
    return std::system("node --version > /dev/null 2>&1") == 0;
}

TEST(EcosystemJs, ClusterConfigWithProductionProfile) {
    if (!have_node()) GTEST_SKIP() << "node is not installed";
    auto result = import_ecosystem_json(ecosystem_js_to_json(kTestData / "cluster.config.js"));
    EXPECT_THAT(result.notes, Contains(HasSubstr("not converted: deploy")));
    EXPECT_THAT(result.notes, Not(Contains(HasSubstr("exec_mode"))));
    auto apps = apps_of(result, "production");
    ASSERT_EQ(apps.size(), 1u);
    const auto& api = apps[0];
    EXPECT_EQ(api.name, "api");
    EXPECT_EQ(api.instances, 0u);
    EXPECT_THAT(api.command, ElementsAre("node", "--max-old-space-size=256", "./dist/server.js"));
    EXPECT_EQ(api.max_memory_restart, 300ull << 20);
    EXPECT_EQ(api.kill_timeout, 5s);
    EXPECT_TRUE(api.wait_ready);
    EXPECT_EQ(api.exec_mode, AppSpec::ExecMode::Cluster);
    EXPECT_EQ(api.listen_timeout, 10s);
    EXPECT_EQ(api.log_date_format, "YYYY-MM-DDTHH:mm:ss") << "PM2's time = true";
    EXPECT_EQ(api.env, (std::map<std::string, std::string>{{"NODE_ENV", "production"}, {"PORT", "80"}}));
}

TEST(EcosystemJs, EsModuleWithSpreadAndUnconvertedOptions) {
    if (!have_node()) GTEST_SKIP() << "node is not installed";
    auto result = import_ecosystem_json(ecosystem_js_to_json(kTestData / "workers.config.mjs"));
    EXPECT_THAT(result.notes, Contains("not converted: apps[0].pmx (no equivalent in pmd)"));
    EXPECT_THAT(result.notes, Contains(HasSubstr("not converted: apps[0].log_file")));
    EXPECT_THAT(result.notes, Contains(HasSubstr("not converted: apps[1].namespace")));
    auto apps = apps_of(result);
    ASSERT_EQ(apps.size(), 2u);
    EXPECT_THAT(apps[0].command, ElementsAre("python3", "worker.py", "--queue", "mail"));
    EXPECT_EQ(apps[0].env.at("PYTHONUNBUFFERED"), "1") << "as PM2 sets it for Python apps";
    EXPECT_EQ(apps[0].instances, 2u);
    EXPECT_EQ(apps[0].cron_restart, "0 3 * * *");
    EXPECT_EQ(apps[0].min_uptime, 10s);
    EXPECT_EQ(apps[0].max_restarts, 10u);
    EXPECT_THAT(apps[1].command, ElementsAre("report.sh"));
    EXPECT_THAT(apps[1].watch_paths, ElementsAre("src"));
    EXPECT_EQ(apps[1].exp_backoff_restart_delay, 100ms);
    EXPECT_EQ(apps[1].user, "www-data");
}

TEST(EcosystemJs, ReportsNodesErrorAndAMissingNode) {
    auto dir = std::filesystem::path(::testing::TempDir()) / ("pmd_ecosystem_js_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "broken.config.js") << "module.exports = {apps: [\n";
    try {
        ecosystem_js_to_json(dir / "broken.config.js", "pmd-no-such-node-binary");
        ADD_FAILURE() << "no error without node";
    } catch (const Error& e) {
        EXPECT_THAT(e.what(), HasSubstr("'pmd-no-such-node-binary' is not installed"));
    }
    if (have_node()) {
        try {
            ecosystem_js_to_json(dir / "broken.config.js");
            ADD_FAILURE() << "no error for a broken file";
        } catch (const Error& e) {
            EXPECT_THAT(e.what(), HasSubstr("node could not evaluate"));
            EXPECT_THAT(e.what(), HasSubstr("SyntaxError"));
        }
    }
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pmd
