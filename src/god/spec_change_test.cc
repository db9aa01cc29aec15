#include "god/spec_change.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pmd {
namespace {

using ::testing::HasSubstr;

AppSpec web() {
    AppSpec s;
    s.name = "web";
    s.command = {"node", "server.js"};
    s.instances = 2;
    s.listen = {{"tcp:127.0.0.1:8080", ""}};
    return s;
}

TEST(SpecChange, WhatAFreshProcessPicksUpIsReloaded) {
    AppSpec to = web();
    to.command = {"node", "server2.js"};
    to.env["VERSION"] = "2";
    to.cwd = "/srv/web";
    to.user = "www-data";
    to.instances = 4;
    to.memory_max = 1 << 30;
    to.limit_nofile = 65536;
    to.cron_restart = "0 3 * * *";
    to.wait_ready = true;
    to.reload_batch = 2;
    EXPECT_EQ(restart_needed_for(web(), to), std::nullopt);
}

TEST(SpecChange, AnotherListenAddressNeedsARestartAndSaysWhichAddresses) {
    AppSpec to = web();
    to.listen = {{"tcp:127.0.0.1:8081", ""}};
    auto why = restart_needed_for(web(), to);
    ASSERT_TRUE(why);
    EXPECT_THAT(*why, HasSubstr("tcp:127.0.0.1:8080 -> tcp:127.0.0.1:8081"));
    to.listen.clear();
    EXPECT_THAT(*restart_needed_for(web(), to), HasSubstr("-> none"));
}

TEST(SpecChange, ReusePortAndLogRoutesNeedARestart) {
    AppSpec to = web();
    to.reuse_port = true;
    EXPECT_THAT(*restart_needed_for(web(), to), HasSubstr("reuse_port"));
    to = web();
    to.exec_mode = AppSpec::ExecMode::Cluster;
    EXPECT_THAT(*restart_needed_for(web(), to), HasSubstr("exec_mode changes"));
    to = web();
    to.out_file = "/var/log/web.log";
    to.merge_logs = true;
    EXPECT_THAT(*restart_needed_for(web(), to), HasSubstr("out_file, merge_logs"));
}

}  // namespace
}  // namespace pmd
