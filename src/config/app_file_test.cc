#include "config/app_file.h"

#include <unistd.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "base/error.h"
#include "config/app_fields.h"

namespace pmd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::vector<AppSpec> parse(std::string_view text, std::string_view profile = "") {
    AppFileOptions options;
    options.profile = profile;
    return parse_app_text(text, "apps.toml", "/srv/apps", options);
}

// The message of the InvalidSpec error `text` raises; fails the test if it parses.
std::string error_of(std::string_view text, std::string_view profile = "") {
    try {
        parse(text, profile);
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::InvalidSpec);
        return e.what();
    }
    ADD_FAILURE() << "parsed without error:\n" << text;
    return "";
}

TEST(AppFile, MinimalAppGetsPm2DefaultsAndTheFilesDirectoryAsCwd) {
    auto apps = parse("[[app]]\nname = \"web\"\ncommand = [\"/usr/bin/python3\", \"-m\", \"http.server\"]\n");
    ASSERT_EQ(apps.size(), 1u);
    AppSpec expected;
    expected.name = "web";
    expected.command = {"/usr/bin/python3", "-m", "http.server"};
    expected.cwd = "/srv/apps";
    EXPECT_EQ(apps[0], expected);
    EXPECT_EQ(apps[0].kill_timeout, 1600ms);
    EXPECT_EQ(apps[0].max_restarts, 16u);
}

TEST(AppFile, EveryFieldIsDecoded) {
    auto apps = parse(R"(
[[app]]
name = "api"
script = "server.js"
args = "--port 8080 'two words'"
interpreter = "node"
interpreter_args = ["--max-old-space-size=256"]
cwd = "api"
instances = 4
autorestart = false
max_restarts = 5
min_uptime = "5s"
restart_delay = 250
exp_backoff_restart_delay = "100ms"
kill_timeout = "1m30s"
listen_timeout = "8s"
wait_ready = true
reload_batch = 2
max_memory_restart = "300M"
cron_restart = "0 3 * * *"
watch = ["src", "config"]
ignore_watch = ["node_modules"]
instance_var = "INSTANCE_ID"
increment_var = "PORT"
out_file = "/var/log/api.out"
error_file = "/var/log/api.err"
merge_logs = true
log_date_format = "YYYY-MM-DD HH:mm Z"
user = "www-data"
group = "www-data"
listen = ["tcp:0.0.0.0:8080;name=http", {address = "unix:/run/api.sock", name = "admin"}, "tcp6:[::1]:9090"]
memory_max = "1G"
cpu_max = "150%"
pids_max = 512
stop_signal = "SIGINT"
watchdog_sec = "30s"
health_check = {type = "http", url = "http://127.0.0.1:8080/health", interval = "10s", timeout = "2s", failures = 5}

[app.env]
NODE_ENV = "development"
PORT = 8080
DEBUG = true
)");
    ASSERT_EQ(apps.size(), 1u);
    const auto& a = apps[0];
    EXPECT_EQ(a.name, "api");
    EXPECT_THAT(a.command, ElementsAre("node", "--max-old-space-size=256", "server.js", "--port", "8080", "two words"));
    EXPECT_EQ(a.cwd, "/srv/apps/api");
    EXPECT_EQ(a.instances, 4u);
    EXPECT_FALSE(a.autorestart);
    EXPECT_EQ(a.max_restarts, 5u);
    EXPECT_EQ(a.min_uptime, 5s);
    EXPECT_EQ(a.restart_delay, 250ms);
    EXPECT_EQ(a.exp_backoff_restart_delay, 100ms);
    EXPECT_EQ(a.kill_timeout, 90s);
    EXPECT_EQ(a.listen_timeout, 8s);
    EXPECT_TRUE(a.wait_ready);
    EXPECT_EQ(a.reload_batch, 2u);
    EXPECT_EQ(a.max_memory_restart, 300u << 20);
    EXPECT_EQ(a.cron_restart, "0 3 * * *");
    EXPECT_TRUE(a.watch);
    EXPECT_THAT(a.watch_paths, ElementsAre("src", "config"));
    EXPECT_THAT(a.ignore_watch, ElementsAre("node_modules"));
    EXPECT_EQ(a.instance_var, "INSTANCE_ID");
    EXPECT_EQ(a.increment_var, "PORT");
    EXPECT_EQ(a.out_file, "/var/log/api.out");
    EXPECT_EQ(a.error_file, "/var/log/api.err");
    EXPECT_TRUE(a.merge_logs);
    EXPECT_EQ(a.log_date_format, "YYYY-MM-DD HH:mm Z");
    EXPECT_EQ(a.user, "www-data");
    EXPECT_EQ(a.group, "www-data");
    EXPECT_THAT(a.listen,
                ElementsAre(ListenAddress{"tcp:0.0.0.0:8080", "http"}, ListenAddress{"unix:/run/api.sock", "admin"},
                            ListenAddress{"tcp6:[::1]:9090", ""}));
    EXPECT_EQ(a.memory_max, 1u << 30);
    EXPECT_EQ(a.cpu_max_percent, 150u);
    EXPECT_EQ(a.pids_max, 512u);
    EXPECT_EQ(a.stop_signal, 2);
    EXPECT_EQ(a.watchdog_sec, 30s);
    EXPECT_EQ(a.health_check.type, HealthCheck::Type::Http);
    EXPECT_EQ(a.health_check.url, "http://127.0.0.1:8080/health");
    EXPECT_EQ(a.health_check.interval, 10s);
    EXPECT_EQ(a.health_check.timeout, 2s);
    EXPECT_EQ(a.health_check.failures, 5u);
    EXPECT_EQ(a.env,
              (std::map<std::string, std::string>{{"NODE_ENV", "development"}, {"PORT", "8080"}, {"DEBUG", "true"}}));
}

TEST(AppFile, InstancesMaxIsStoredAsZero) {
    auto apps = parse("[[app]]\nname = \"a\"\ncommand = \"sleep 1\"\ninstances = \"max\"\n");
    EXPECT_EQ(apps[0].instances, 0u);
}

TEST(AppFile, CommandStringIsSplitLikeAShellWithoutRunningOne) {
    auto apps = parse("[[app]]\nname = \"a\"\ncommand = 'sh -c \"echo hi; sleep 1\"'\n");
    EXPECT_THAT(apps[0].command, ElementsAre("sh", "-c", "echo hi; sleep 1"));
    EXPECT_THAT(error_of("[[app]]\nname = \"a\"\ncommand = \"node app.js > out.log\"\n"),
                HasSubstr("apps.toml:3:11: field 'command': '>' is shell syntax"));
}

TEST(AppFile, InterpreterNoneRunsTheScriptItself) {
    auto apps = parse("[[app]]\nname = \"a\"\nscript = \"./run.sh\"\ninterpreter = \"none\"\nargs = [\"x\"]\n");
    EXPECT_THAT(apps[0].command, ElementsAre("./run.sh", "x"));
}

TEST(AppFile, NodeArgsIsAcceptedAsPm2sOldNameOfInterpreterArgs) {
    auto apps = parse("[[app]]\nscript = \"app.js\"\ninterpreter = \"node\"\nnode_args = \"--inspect\"\n");
    EXPECT_THAT(apps[0].command, ElementsAre("node", "--inspect", "app.js"));
}

TEST(AppFile, NameDefaultsToTheScriptsStemLikePm2) {
    auto apps = parse("[[app]]\nscript = \"./api/server.js\"\ninterpreter = \"node\"\n");
    EXPECT_EQ(apps[0].name, "server");
}

TEST(AppFile, UidAndGidAreAliasesAndTakeNumbers) {
    auto apps = parse("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nuid = 1000\ngid = \"staff\"\n");
    EXPECT_EQ(apps[0].user, "1000");
    EXPECT_EQ(apps[0].group, "staff");
    EXPECT_THAT(error_of("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nuser = \"x\"\nuid = 1\n"),
                HasSubstr("apps.toml:5:1: field 'uid': 'user' and 'uid'"));
}

TEST(AppFile, WatchTrueWatchesTheWholeCwd) {
    auto apps = parse("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nwatch = true\n");
    EXPECT_TRUE(apps[0].watch);
    EXPECT_TRUE(apps[0].watch_paths.empty());
}

TEST(AppFile, StopSignalTakesNumbersAndShortNames) {
    EXPECT_EQ(parse("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nstop_signal = 10\n")[0].stop_signal, 10);
    EXPECT_EQ(parse("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nstop_signal = \"hup\"\n")[0].stop_signal, 1);
    EXPECT_THAT(error_of("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nstop_signal = \"SIGFOO\"\n"),
                HasSubstr("apps.toml:4:15: field 'stop_signal'"));
}

TEST(AppFile, HealthCheckTcpAndExec) {
    auto apps = parse(R"([[app]]
name = "a"
command = ["true"]
health_check = {type = "tcp", port = 5432}
[[app]]
name = "b"
command = ["true"]
health_check = {type = "exec", command = "pg_isready -q"}
)");
    EXPECT_EQ(apps[0].health_check.type, HealthCheck::Type::Tcp);
    EXPECT_EQ(apps[0].health_check.port, 5432);
    EXPECT_EQ(apps[0].health_check.interval, 30s);
    EXPECT_EQ(apps[1].health_check.type, HealthCheck::Type::Exec);
    EXPECT_THAT(apps[1].health_check.command, ElementsAre("pg_isready", "-q"));
}

TEST(AppFile, SeveralAppsKeepFileOrder) {
    auto apps =
        parse("[[app]]\nname = \"one\"\ncommand = [\"true\"]\n[[app]]\nname = \"two\"\ncommand = [\"false\"]\n");
    ASSERT_EQ(apps.size(), 2u);
    EXPECT_EQ(apps[0].name, "one");
    EXPECT_EQ(apps[1].name, "two");
}

TEST(AppFile, ProfileEnvIsMergedOverEnv) {
    const char* text = R"([[app]]
name = "web"
command = ["node", "app.js"]
env = {NODE_ENV = "development", PORT = "3000"}
env_production = {NODE_ENV = "production", DB = "prod-db"}
)";
    EXPECT_EQ(parse(text)[0].env, (std::map<std::string, std::string>{{"NODE_ENV", "development"}, {"PORT", "3000"}}));
    EXPECT_EQ(parse(text, "production")[0].env,
              (std::map<std::string, std::string>{{"NODE_ENV", "production"}, {"PORT", "3000"}, {"DB", "prod-db"}}));
}

TEST(AppFile, ProfileThatNoAppDefinesIsAnError) {
    EXPECT_THAT(error_of("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nenv_production = {A = \"1\"}\n", "prodution"),
                HasSubstr("no app in this file has env_prodution"));
}

TEST(AppFile, DefaultsAreTheStartingPointAndEnvMerges) {
    AppFileOptions options;
    options.defaults.kill_timeout = 5s;
    options.defaults.env = {{"TZ", "UTC"}, {"A", "default"}};
    auto apps =
        parse_app_text("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nenv = {A = \"mine\"}\n", "f", "/x", options);
    EXPECT_EQ(apps[0].kill_timeout, 5s);
    EXPECT_EQ(apps[0].env, (std::map<std::string, std::string>{{"TZ", "UTC"}, {"A", "mine"}}));
}

TEST(AppFile, ErrorNamesFileLineColumnAndField) {
    EXPECT_EQ(error_of("[[app]]\nname = \"a\"\ncommand = [\"true\"]\ninstances = \"lots\"\n"),
              "apps.toml:4:13: field 'instances': expected a number or \"max\", got \"lots\"");
}

TEST(AppFile, UnknownKeySuggestsTheClosestOne) {
    EXPECT_EQ(error_of("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nkill_timout = 3000\n"),
              "apps.toml:4:1: field 'kill_timout': unknown key (did you mean 'kill_timeout'?)");
    EXPECT_THAT(error_of("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nhealth_check = {type = \"tcp\", prot = 1}\n"),
                HasSubstr("field 'health_check.prot': unknown key (did you mean 'port'?)"));
    EXPECT_THAT(error_of("[[apps]]\nname = \"a\"\n"),
                HasSubstr("apps.toml:1:3: field 'apps': unknown top-level key; an app file holds [[app]] tables (did "
                          "you mean 'app'?)"));
}

TEST(AppFile, Pm2KeysThatPmdSpellsDifferentlyOrLacksAreExplained) {
    EXPECT_EQ(error_of("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nerr_file = \"/tmp/e\"\n"),
              "apps.toml:4:1: field 'err_file': unknown key; PM2's 'err_file' is 'error_file' in pmd");
    EXPECT_THAT(error_of("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nexec_mode = \"clustered\"\n"),
                HasSubstr("apps.toml:4:13: field 'exec_mode': expected \"fork\" or \"cluster\""));
}

TEST(AppFile, EveryErrorOfTheFileIsReportedInFileOrder) {
    auto message = error_of(R"([[app]]
name = "a"
command = ["true"]
min_uptime = "soon"
[[app]]
name = "b"
command = ["true"]
max_memory_restart = "lots"
autorestart = "yes"
)");
    EXPECT_EQ(message,
              "apps.toml:4:14: field 'min_uptime': expected a duration like \"5s\", \"1m30s\", \"250ms\" or a number "
              "of milliseconds, got \"soon\"\n"
              "apps.toml:8:22: field 'max_memory_restart': expected a size like \"512M\", \"2G\" or a number of bytes, "
              "got \"lots\"\n"
              "apps.toml:9:15: field 'autorestart': expected true or false, got \"yes\"");
}

TEST(AppFile, DuplicateNamesAreAnError) {
    EXPECT_THAT(error_of("[[app]]\nname = \"a\"\ncommand = [\"true\"]\n[[app]]\nname = \"a\"\ncommand = [\"true\"]\n"),
                HasSubstr("apps.toml:5:8: field 'name': another app in this file is named 'a' (line 2)"));
}

TEST(AppFile, ValidationRulesPointAtTheKey) {
    EXPECT_EQ(error_of("[[app]]\nname = \"all\"\ncommand = [\"true\"]\n"),
              "apps.toml:2:8: field 'name': 'all' is reserved (it means every app in pmctl commands)");
    EXPECT_THAT(error_of("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nlisten = [\"tcp:0.0.0.0:99999\"]\n"),
                HasSubstr("apps.toml:4:10: field 'listen': 'tcp:0.0.0.0:99999': port must be"));
    EXPECT_THAT(error_of("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nhealth_check = {type = \"http\"}\n"),
                HasSubstr("field 'health_check.url': an http check needs url"));
    EXPECT_THAT(error_of("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nreload_batch = 0\n"),
                HasSubstr("apps.toml:4:16: field 'reload_batch': must be at least 1"));
}

TEST(AppFile, IoLimitsAreSystemdsShapes) {
    auto apps = parse(R"([[app]]
name = "a"
command = ["true"]
io_weight = 500
io_read_bandwidth_max = "/dev/vda 2M"
io_write_bandwidth_max = ["/var/lib/app  512K", "/dev/vdb 1048576"]
)");
    ASSERT_EQ(apps.size(), 1u);
    EXPECT_EQ(apps[0].io_weight, 500u);
    EXPECT_EQ(apps[0].io_read_bandwidth_max, (std::vector<IoBandwidth>{{"/dev/vda", 2u << 20}}));
    EXPECT_EQ(apps[0].io_write_bandwidth_max,
              (std::vector<IoBandwidth>{{"/var/lib/app", 512u << 10}, {"/dev/vdb", 1u << 20}}));
    EXPECT_EQ(parse("[[app]]\nname = \"a\"\ncommand = [\"true\"]\n")[0].io_weight, 0u);  // the kernel's
}

TEST(AppFile, BadIoLimitsNameFileLineAndKey) {
    const std::string head = "[[app]]\nname = \"a\"\ncommand = [\"true\"]\n";
    EXPECT_EQ(error_of(head + "io_weight = 0\n"),
              "apps.toml:4:13: field 'io_weight': expected a weight from 1 to 10000 (100 is the kernel's default), got 0");
    EXPECT_EQ(error_of(head + "io_weight = 10001\n"),
              "apps.toml:4:13: field 'io_weight': expected a whole number from 0 to 10000, got 10001");
    const std::string shape = "expected \"PATH SIZE\" (an absolute path of a disk or of a file on it, and bytes a "
                              "second), like \"/dev/vda 2M\", got ";
    EXPECT_EQ(error_of(head + "io_write_bandwidth_max = \"/dev/vda\"\n"),
              "apps.toml:4:26: field 'io_write_bandwidth_max': " + shape + "\"/dev/vda\"");
    EXPECT_EQ(error_of(head + "io_read_bandwidth_max = \"vda 2M\"\n"),
              "apps.toml:4:25: field 'io_read_bandwidth_max': " + shape + "\"vda 2M\"");
    EXPECT_EQ(error_of(head + "io_read_bandwidth_max = \"/dev/vda lots\"\n"),
              "apps.toml:4:25: field 'io_read_bandwidth_max': " + shape + "\"/dev/vda lots\"");
    EXPECT_EQ(error_of(head + "io_read_bandwidth_max = \"/dev/vda 0\"\n"),
              "apps.toml:4:25: field 'io_read_bandwidth_max': " + shape + "\"/dev/vda 0\"");
    EXPECT_EQ(error_of(head + "io_read_bandwidth_max = \"/dev/vda 2M 3M\"\n"),
              "apps.toml:4:25: field 'io_read_bandwidth_max': " + shape + "\"/dev/vda 2M 3M\"");
    EXPECT_THAT(error_of(head + "io_read_bandwidth_max = 2097152\n"),
                HasSubstr("apps.toml:4:25: field 'io_read_bandwidth_max': expected an array of strings or a string"));
}

TEST(AppFile, CronRestartIsParsedFullyWithItsPosition) {
    EXPECT_THAT(error_of("[[app]]\nname = \"a\"\ncommand = [\"true\"]\ncron_restart = \"0 25 * * *\"\n"),
                HasSubstr("apps.toml:4:16: field 'cron_restart': hour: 25 is out of range 0-23"));
    EXPECT_THAT(error_of("[[app]]\nname = \"a\"\ncommand = [\"true\"]\ncron_restart = \"CRON_TZ=Nowhere 0 3 * * *\"\n"),
                HasSubstr("unknown time zone 'Nowhere'"));
    auto apps = parse("[[app]]\nname = \"a\"\ncommand = [\"true\"]\ncron_restart = \"CRON_TZ=Europe/Paris 0 3 * * *\"\n");
    EXPECT_EQ(apps[0].cron_restart, "CRON_TZ=Europe/Paris 0 3 * * *");
}

TEST(AppFile, MissingCommandAndMixedCommandAreErrors) {
    EXPECT_THAT(error_of("[[app]]\nname = \"a\"\n"),
                HasSubstr("apps.toml:1:1: this app has neither 'script' nor 'command'"));
    EXPECT_THAT(error_of("[[app]]\nname = \"a\"\ncommand = [\"x\"]\nscript = \"y\"\n"),
                HasSubstr("apps.toml:4:10: field 'script': use either 'command' or 'script'"));
    EXPECT_THAT(error_of("[[app]]\nname = \"a\"\nscript = \"y.js\"\ninterpreter_args = \"--inspect\"\n"),
                HasSubstr("field 'interpreter_args': pmd picks no interpreter by itself"));
}

TEST(AppFile, SyntaxErrorHasAPosition) {
    EXPECT_THAT(error_of("[[app]]\nname = \"a\ncommand = []\n"), HasSubstr("apps.toml:2:"));
    EXPECT_THAT(error_of("[[app]]\nname = \"a\ncommand = []\n"), HasSubstr("TOML syntax error"));
}

TEST(AppFile, EmptyFileSaysWhatIsMissing) {
    EXPECT_THAT(error_of(""), HasSubstr("no [[app]] table"));
    EXPECT_THAT(error_of("app = 3\n"), HasSubstr("[[app]] tables (double brackets)"));
}

TEST(AppFile, LoadAppFileResolvesCwdAgainstTheFilesDirectory) {
    auto dir = std::filesystem::path(::testing::TempDir()) / ("pmd_app_file_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "sub");
    { std::ofstream(dir / "sub" / "apps.toml") << "[[app]]\nname = \"a\"\ncommand = [\"true\"]\ncwd = \"../work\"\n"; }
    auto apps = load_app_file(dir / "sub" / "apps.toml");
    EXPECT_EQ(apps[0].cwd, (std::filesystem::absolute(dir) / "work").lexically_normal().string());
    try {
        load_app_file(dir / "missing.toml");
        ADD_FAILURE() << "no error for a missing file";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::Failed);
        EXPECT_THAT(e.what(), HasSubstr("missing.toml"));
    }
    EXPECT_THROW(load_app_file(dir), Error);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pmd

namespace pmd {
namespace {

TEST(AppRequest, TablesBuiltInCodeShareTheSchemaAndHaveNoPositions) {
    toml::table request{{"name", "api"}, {"command", toml::array{"/bin/sleep", "60"}}, {"kill_timeout", "5s"}};
    auto spec = decode_app_request(request, "StartApp", "/home/u");
    EXPECT_EQ(spec.name, "api");
    EXPECT_EQ(spec.kill_timeout, std::chrono::seconds(5));
    EXPECT_EQ(spec.cwd, "/home/u");
    toml::table bad{{"name", "all"}, {"command", "x"}, {"instnces", 2}};
    try {
        decode_app_request(bad, "StartApp", "/");
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "StartApp: field 'instnces': unknown key (did you mean 'instances'?)\n"
                  "StartApp: field 'name': 'all' is reserved (it means every app in pmctl commands)");
    }
}

}  // namespace
}  // namespace pmd
