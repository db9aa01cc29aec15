#include "config/spec_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.h"

namespace pmd {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

AppSpec valid_spec() {
    AppSpec spec;
    spec.name = "web";
    spec.command = {"/bin/true"};
    spec.cwd = "/srv";
    return spec;
}

std::string problems_of(const AppSpec& spec) {
    try {
        validate_spec(spec);
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::InvalidSpec);
        return e.what();
    }
    return "";
}

TEST(SpecValidation, AcceptsAPlainSpec) {
    EXPECT_NO_THROW(validate_spec(valid_spec()));
    auto spec = valid_spec();
    spec.cwd = "";  // empty = "/" for system apps
    EXPECT_NO_THROW(validate_spec(spec));
}

TEST(SpecValidation, NameRules) {
    EXPECT_EQ(app_name_problem("api-v2_blue.1@eu"), "");
    EXPECT_THAT(app_name_problem(""), HasSubstr("needs a name"));
    EXPECT_THAT(app_name_problem(std::string(65, 'a')), HasSubstr("at most 64"));
    EXPECT_EQ(app_name_problem(std::string(64, 'a')), "");
    EXPECT_THAT(app_name_problem("a/b"), HasSubstr("contains '/'"));
    EXPECT_THAT(app_name_problem("a b"), HasSubstr("contains ' '"));
    EXPECT_THAT(app_name_problem(".hidden"), HasSubstr("may not start"));
    EXPECT_THAT(app_name_problem("-x"), HasSubstr("may not start"));
    EXPECT_THAT(app_name_problem("all"), HasSubstr("reserved"));
}

TEST(SpecValidation, CommandCwdAndInstanceBounds) {
    auto spec = valid_spec();
    spec.command.clear();
    EXPECT_THAT(problems_of(spec), HasSubstr("field 'command': the command is empty"));
    spec = valid_spec();
    spec.cwd = "relative/dir";
    EXPECT_THAT(problems_of(spec), HasSubstr("field 'cwd': 'relative/dir' is not an absolute path"));
    spec = valid_spec();
    spec.instances = SpecLimits::max_instances + 1;
    EXPECT_THAT(problems_of(spec), HasSubstr("field 'instances'"));
    spec.instances = 0;  // "max"
    EXPECT_EQ(problems_of(spec), "");
}

TEST(SpecValidation, EnvAndDurationsAndSignal) {
    auto spec = valid_spec();
    spec.env["A=B"] = "x";
    spec.kill_timeout = SpecLimits::max_duration + 1ms;
    spec.stop_signal = 0;
    auto message = problems_of(spec);
    EXPECT_THAT(message, HasSubstr("field 'env': 'A=B' is not a valid variable name"));
    EXPECT_THAT(message, HasSubstr("field 'kill_timeout'"));
    EXPECT_THAT(message, HasSubstr("field 'stop_signal'"));
    spec = valid_spec();
    spec.env["BIG"] = std::string(SpecLimits::max_env_bytes, 'x');
    EXPECT_THAT(problems_of(spec), HasSubstr("bytes; at most"));
}

TEST(SpecValidation, ListenAndHealthCheck) {
    auto spec = valid_spec();
    spec.listen = {{"tcp:0.0.0.0:80", ""}, {"tcp:0.0.0.0:80", ""}, {"udp:1", "x:y"}};
    auto message = problems_of(spec);
    EXPECT_THAT(message, HasSubstr("'tcp:0.0.0.0:80' is listed twice"));
    EXPECT_THAT(message, HasSubstr("'udp:1': expected"));
    EXPECT_THAT(message, HasSubstr("socket name 'x:y'"));
    spec = valid_spec();
    spec.listen = {{"tcp:0.0.0.0:80", ""}};
    spec.reuse_port = true;
    EXPECT_THAT(problems_of(spec), HasSubstr("field 'reuse_port'"));
    spec = valid_spec();
    spec.health_check.type = HealthCheck::Type::Tcp;
    spec.health_check.failures = 0;
    message = problems_of(spec);
    EXPECT_THAT(message, HasSubstr("field 'health_check.port'"));
    EXPECT_THAT(message, HasSubstr("field 'health_check.failures'"));
}

TEST(SpecValidation, RestartTriggers) {
    auto spec = valid_spec();
    spec.health_check.type = HealthCheck::Type::Http;
    spec.health_check.url = "http://db.internal:8080/";
    spec.health_check.expected_status = 42;
    spec.health_check.interval = 1s;
    spec.health_check.timeout = 2s;
    auto message = problems_of(spec);
    EXPECT_THAT(message, HasSubstr("field 'health_check.url': the host of 'http://db.internal:8080/' must be an IP"));
    EXPECT_THAT(message, HasSubstr("field 'health_check.expected_status'"));
    EXPECT_THAT(message, HasSubstr("field 'health_check.timeout': the timeout (2s) must not be longer than the interval"));
    spec = valid_spec();
    spec.cron_restart = "0 0 32 * *";
    spec.watch_delay = -1s;
    message = problems_of(spec);
    EXPECT_THAT(message, HasSubstr("field 'cron_restart': day-of-month: 32 is out of range 1-31"));
    EXPECT_THAT(message, HasSubstr("field 'watch_delay': a duration cannot be negative"));
}

TEST(SpecValidation, ListsEveryProblemOnItsOwnLine) {
    AppSpec spec;  // no name, no command
    auto problems = find_spec_problems(spec);
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0].field, "name");
    EXPECT_EQ(problems[1].field, "command");
    EXPECT_EQ(problems_of(spec),
              "field 'name': an app needs a name\nfield 'command': the command is empty; set 'script' or 'command'");
}

}  // namespace
}  // namespace pmd
