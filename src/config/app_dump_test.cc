#include "config/app_dump.h"

#include <unistd.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "base/error.h"
#include "config/app_file.h"
#include "config/atomic_file.h"

namespace pmd {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// Every field set to something other than its default, with text that needs escaping.
AppSpec every_field_set() {
    AppSpec a;
    a.name = "api@eu-1";
    a.command = {"/usr/bin/node", "--flag=\"quoted\"", "line\nbreak", "tab\there", "ünïcode", "back\\slash", ""};
    a.cwd = "/srv/my app";
    a.env = {{"PORT", "8080"}, {"WEIRD.KEY", "a=b"}, {"EMPTY", ""}, {"CTRL", std::string("\x01\x7f", 2)}};
    a.instances = 0;
    a.user = "www-data";
    a.group = "1001";
    a.autorestart = false;
    a.restart_delay = 1600ms;
    a.exp_backoff_restart_delay = 100ms;
    a.max_restarts = 3;
    a.min_uptime = 90s;
    a.stop_signal = SIGRTMIN + 2;
    a.kill_timeout = 1234ms;
    a.memory_max = (1ull << 30) + 1;
    a.pids_max = 99;
    a.cpu_max_percent = 250;
    a.io_weight = 10000;
    a.io_read_bandwidth_max = {{"/dev/vda", 2 << 20}, {"/var/lib/app", 1000}};
    a.io_write_bandwidth_max = {{"/srv", 1 << 30}};
    a.out_file = "/var/log/out.log";
    a.error_file = "/dev/null";
    a.wait_ready = true;
    a.listen_timeout = 3h + 1ms;
    a.reload_batch = 3;
    a.max_memory_restart = 300ull << 20;
    a.cron_restart = "CRON_TZ=Europe/Paris */5 * * * *";
    a.watch = true;
    a.watch_paths = {"src", "lib"};
    a.ignore_watch = {"node_modules", "*.log"};
    a.watch_delay = 250ms;
    a.instance_var = "";
    a.increment_var = "PORT";
    a.merge_logs = true;
    a.log_date_format = "YYYY-MM-DD \"HH\"";
    a.log_max_size = 64ull << 10;
    a.log_max_files = 0;
    a.listen = {{"tcp:0.0.0.0:8080", "http"}, {"unix:/run/a.sock", ""}};
    a.reuse_port = false;
    a.watchdog_sec = 20s;
    a.health_check.type = HealthCheck::Type::Exec;
    a.health_check.command = {"curl", "-f", "http://localhost/"};
    a.health_check.interval = 7s;
    a.health_check.timeout = 1500ms;
    a.health_check.failures = 2;
    a.no_new_privs = true;
    a.umask = 027;
    a.limit_nofile = 65536;
    a.limit_nproc = 100;
    a.limit_core = kLimitInfinity;
    a.limit_memlock = 0;
    return a;
}

TEST(AppDump, EveryFieldRoundTrips) {
    AppSpec minimal;
    minimal.name = "m";
    minimal.command = {"true"};
    AppSpec tcp = minimal;
    tcp.name = "tcp";
    tcp.reuse_port = true;
    tcp.watch = true;  // watch the whole cwd
    tcp.stop_signal = SIGINT;
    tcp.health_check = {HealthCheck::Type::Tcp, "", 5432, {}, 1s, 1s, 1};
    AppSpec http = minimal;
    http.name = "http";
    http.instances = 7;
    http.health_check.type = HealthCheck::Type::Http;
    http.health_check.url = "http://127.0.0.1/";
    http.health_check.expected_status = 204;
    std::vector<AppSpec> apps = {every_field_set(), minimal, tcp, http};

    auto text = dump_apps(apps);
    auto back = parse_dump_text(text, "dump.toml");
    ASSERT_EQ(back.size(), apps.size());
    for (size_t i = 0; i < apps.size(); ++i) EXPECT_EQ(back[i], apps[i]) << "app " << i << " of:\n" << text;
    EXPECT_EQ(dump_apps(back), text);
}

TEST(AppDump, DumpIsReadableAndLeavesDefaultsOut) {
    AppSpec a;
    a.name = "web";
    a.command = {"python3", "-m", "http.server"};
    a.cwd = "/srv";
    a.kill_timeout = 5s;
    EXPECT_EQ(dump_apps({a}),
              "# Written by pmd (pmctl save). Read back by pmctl resurrect; edits are kept.\n"
              "\n[[app]]\nname = \"web\"\ncommand = [\"python3\", \"-m\", \"http.server\"]\ncwd = \"/srv\"\n"
              "kill_timeout = \"5s\"\n");
}

TEST(AppDump, EmptySetRoundTrips) {
    EXPECT_TRUE(parse_dump_text(dump_apps({}), "dump.toml").empty());
}

TEST(AppDump, ExactTextsReadBackToTheSameValue) {
    EXPECT_EQ(exact_duration_text(90s), "1m30s");
    EXPECT_EQ(exact_duration_text(1600ms), "1s600ms");
    EXPECT_EQ(exact_duration_text(0ms), "0ms");
    EXPECT_EQ(exact_duration_text(std::chrono::hours(49)), "2d1h");
    EXPECT_EQ(exact_size_text(512ull << 20), "512M");
    EXPECT_EQ(exact_size_text(1536ull << 10), "1536K");
    EXPECT_EQ(exact_size_text(1000), "1000");
}

TEST(AppDump, SaveThenLoadThroughTheFileSystem) {
    auto dir = std::filesystem::path(::testing::TempDir()) / ("pmd_dump_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    EXPECT_TRUE(load_dump(dir / "dump.toml").empty()) << "nothing saved yet is an empty set";
    write_file_atomically(dir / "dump.toml", dump_apps({every_field_set()}));
    auto back = load_dump(dir / "dump.toml");
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0], every_field_set());
    std::filesystem::remove_all(dir);
}

TEST(AppDump, DesiredStateStoppedRoundTripsAndIsADumpKeyOnly) {
    AppSpec a, b;
    a.name = "a";
    a.command = {"sleep", "1"};
    b.name = "b";
    b.command = {"sleep", "2"};
    std::string text = dump_apps({a, b}, {"b"});
    EXPECT_NE(text.find("desired_state = \"stopped\""), std::string::npos) << text;
    std::set<std::string> stopped;
    auto back = parse_dump_text(text, "dump.toml", &stopped);
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[1], b);
    EXPECT_EQ(stopped, std::set<std::string>{"b"});
    // An app file is not a dump: the key is unknown there.
    EXPECT_THROW(parse_app_text(text, "apps.toml", "/"), Error);
}

}  // namespace
}  // namespace pmd
