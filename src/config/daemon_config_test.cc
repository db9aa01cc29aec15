#include "config/daemon_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "base/error.h"
#include "config/app_file.h"

namespace pmd {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string error_of(std::string_view text) {
    try {
        parse_daemon_config_text(text, "pmd.toml", "/etc");
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::InvalidSpec);
        return e.what();
    }
    ADD_FAILURE() << "parsed without error:\n" << text;
    return "";
}

TEST(DaemonConfig, EmptyFileMeansDefaults) {
    auto config = parse_daemon_config_text("", "pmd.toml", "/etc");
    EXPECT_EQ(config, DaemonConfig{});
    EXPECT_EQ(config.apps_dir, "/etc/pmd.d");
    EXPECT_EQ(config.state_dir, "/var/lib/pmd");
    EXPECT_TRUE(config.resurrect);
    EXPECT_EQ(config.log_sink, DaemonConfig::LogSink::File);
}

TEST(DaemonConfig, MissingFileMeansDefaults) {
    EXPECT_EQ(load_daemon_config("/nonexistent/pmd.toml"), DaemonConfig{});
}

TEST(DaemonConfig, EveryKeyIsRead) {
    auto config = parse_daemon_config_text(R"(
log_dir = "/data/log"
state_dir = "/data/state"
apps_dir = "/data/apps"
resurrect = false
admin_group = "pmd"
metrics_listen = "tcp:127.0.0.1:9615"
log_max_size = "50M"
log_max_files = 3
log_compress = true
log_sink = "both"

[defaults]
kill_timeout = "10s"
user = "app"
max_memory_restart = "1G"
env = {TZ = "UTC"}
)",
                                           "pmd.toml", "/etc");
    EXPECT_EQ(config.log_dir, "/data/log");
    EXPECT_EQ(config.state_dir, "/data/state");
    EXPECT_EQ(config.apps_dir, "/data/apps");
    EXPECT_FALSE(config.resurrect);
    EXPECT_EQ(config.admin_group, "pmd");
    EXPECT_EQ(config.metrics_listen, "tcp:127.0.0.1:9615");
    EXPECT_EQ(config.log_max_size, 50ull << 20);
    EXPECT_EQ(config.log_max_files, 3u);
    EXPECT_TRUE(config.log_compress);
    EXPECT_EQ(config.log_sink, DaemonConfig::LogSink::Both);
    EXPECT_EQ(config.defaults.kill_timeout, 10s);
    EXPECT_EQ(config.defaults.user, "app");
    EXPECT_EQ(config.defaults.max_memory_restart, 1ull << 30);
    EXPECT_EQ(config.defaults.env, (std::map<std::string, std::string>{{"TZ", "UTC"}}));
}

TEST(DaemonConfig, DefaultsApplyToAppsUnlessTheAppSaysOtherwise) {
    auto config =
        parse_daemon_config_text("[defaults]\nkill_timeout = \"10s\"\nmax_restarts = 3\n", "pmd.toml", "/etc");
    AppFileOptions options;
    options.defaults = config.defaults;
    auto apps =
        parse_app_text("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nmax_restarts = 7\n", "a.toml", "/srv", options);
    EXPECT_EQ(apps[0].kill_timeout, 10s);
    EXPECT_EQ(apps[0].max_restarts, 7u);
}

TEST(DaemonConfig, ErrorsArePositionedAndAllReported) {
    EXPECT_EQ(error_of("log_dir = \"relative\"\nlog_sink = \"jornal\"\nresurect = true\n"),
              "pmd.toml:1:11: field 'log_dir': 'relative' is not an absolute path\n"
              "pmd.toml:2:12: field 'log_sink': expected \"file\", \"journal\" or \"both\", got \"jornal\" (did you "
              "mean 'journal'?)\n"
              "pmd.toml:3:1: field 'resurect': unknown key (did you mean 'resurrect'?)");
}

TEST(DaemonConfig, AppKeysBelongUnderDefaults) {
    EXPECT_THAT(error_of("kill_timeout = 3000\n"),
                HasSubstr("field 'kill_timeout': unknown key (app settings go under [defaults])"));
    EXPECT_THAT(error_of("[defaults]\nname = \"x\"\n"), HasSubstr("pmd.toml:2:1: field 'name': belongs to one app"));
    EXPECT_THAT(error_of("[defaults]\nkill_timeout = \"forever\"\n"), HasSubstr("pmd.toml:2:16: field 'kill_timeout'"));
    EXPECT_THAT(error_of("[defaults]\nkil_timeout = 1\n"), HasSubstr("did you mean 'kill_timeout'?"));
    EXPECT_THAT(error_of("metrics_listen = \"localhost:9615\"\n"), HasSubstr("field 'metrics_listen'"));
}

TEST(DaemonConfig, LogCompressIsOffByDefaultAndABoolean) {
    EXPECT_FALSE(parse_daemon_config_text("", "pmd.toml", "/etc").log_compress);
    EXPECT_EQ(error_of("log_compress = \"gzip\"\n"),
              "pmd.toml:1:16: field 'log_compress': expected true or false, got \"gzip\"");
    EXPECT_THAT(error_of("log_compres = true\n"), HasSubstr("did you mean 'log_compress'?"));
}

}  // namespace
}  // namespace pmd
