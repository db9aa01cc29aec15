#include "config/app_set.h"

#include <unistd.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "base/error.h"

namespace pmd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

AppSpec app(std::string name, std::string program = "true") {
    AppSpec spec;
    spec.name = std::move(name);
    spec.command = {std::move(program)};
    return spec;
}

std::vector<std::string> names(const std::vector<AppSpec>& apps) {
    std::vector<std::string> out;
    for (const auto& a : apps) out.push_back(a.name);
    return out;
}

class AppsDir : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::path(::testing::TempDir()) / ("pmd_apps_dir_test_" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
    std::filesystem::path dir_;
};

TEST_F(AppsDir, ReadsEveryTomlFileInNameOrderAndSkipsTheRest) {
    write("20-web.toml", "[[app]]\nname = \"web\"\ncommand = [\"true\"]\n");
    write("10-db.toml",
          "[[app]]\nname = \"db\"\ncommand = [\"true\"]\n[[app]]\nname = \"cache\"\ncommand = [\"true\"]\n");
    write("notes.txt", "not toml");
    write(".20-web.toml.Ab12Cd", "half written");
    AppSpec defaults;
    defaults.kill_timeout = 9s;
    auto apps = load_apps_dir(dir_, defaults);
    EXPECT_THAT(names(apps), ElementsAre("db", "cache", "web"));
    EXPECT_EQ(apps[2].kill_timeout, 9s);
    EXPECT_EQ(apps[2].cwd, std::filesystem::absolute(dir_).string());
}

TEST_F(AppsDir, MissingDirectoryIsEmpty) {
    EXPECT_TRUE(load_apps_dir(dir_ / "nope").empty());
}

TEST_F(AppsDir, ReportsProblemsOfEveryFileAndNamesDefinedTwice) {
    write("a.toml", "[[app]]\nname = \"web\"\ncommand = [\"true\"]\n");
    write("b.toml", "[[app]]\nname = \"web\"\ncommand = [\"true\"]\n");
    write("c.toml", "[[app]]\nname = \"x\"\ncommand = [\"true\"]\ninstances = \"lots\"\n");
    try {
        load_apps_dir(dir_);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::InvalidSpec);
        EXPECT_THAT(e.what(), HasSubstr("b.toml: app 'web' is also defined in " + (dir_ / "a.toml").string()));
        EXPECT_THAT(e.what(), HasSubstr("c.toml:4:13: field 'instances'"));
    }
}

TEST(AppSetDiff, SortsAppsIntoAddedChangedRemovedUnchanged) {
    auto changed = app("api", "node");
    auto diff = diff_app_sets({app("api"), app("old"), app("same")}, {app("same"), changed, app("new")});
    EXPECT_THAT(names(diff.added), ElementsAre("new"));
    EXPECT_THAT(names(diff.changed), ElementsAre("api"));
    EXPECT_EQ(diff.changed[0].command[0], "node");
    EXPECT_THAT(diff.removed, ElementsAre("old"));
    EXPECT_THAT(diff.unchanged, ElementsAre("same"));
    EXPECT_FALSE(diff.empty());
}

TEST(AppSetDiff, ResurrectingTheSameSetTwiceChangesNothing) {
    std::vector<AppSpec> apps = {app("a"), app("b")};
    EXPECT_TRUE(diff_app_sets(apps, apps).empty());
}

}  // namespace
}  // namespace pmd
