// The shipped examples are documentation users copy: they must stay valid.
#include <gtest/gtest.h>

#include "config/app_file.h"
#include "config/daemon_config.h"

namespace pmd {
namespace {

const std::filesystem::path kExamples = std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "examples";

TEST(Examples, HelloTomlLoadsWithAndWithoutItsProfile) {
    auto apps = load_app_file(kExamples / "hello.toml");
    ASSERT_EQ(apps.size(), 2u);
    EXPECT_EQ(apps[0].name, "web");
    EXPECT_EQ(apps[0].instances, 2u);
    EXPECT_EQ(apps[1].name, "ticker");
    AppFileOptions production;
    production.profile = "production";
    EXPECT_EQ(load_app_file(kExamples / "hello.toml", production)[0].env.at("PYTHONOPTIMIZE"), "1");
}

TEST(Examples, PmdTomlShowsTheDefaults) {
    EXPECT_EQ(load_daemon_config(kExamples / "pmd.toml"), DaemonConfig{});
}

}  // namespace
}  // namespace pmd
