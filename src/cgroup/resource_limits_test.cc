// apply_resource_limits against a directory that stands in for a cgroup: the interface files of
// enabled controllers exist, the others do not (as in a real cgroup2 tree).
#include "cgroup/resource_limits.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace pmd {
namespace {

class FakeCgroup : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/pmd-limits-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        root_ = tmpl;
        std::filesystem::create_directories(root_ / "app" / "0");
    }
    void TearDown() override { std::filesystem::remove_all(root_); }
    // Empty: a real cgroup file is replaced by a write, a plain file only overwritten from the start.
    void offer(const char* file) { std::ofstream(root_ / "app" / "0" / file); }
    std::string content(const char* file) {
        std::ifstream in(root_ / "app" / "0" / file);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    CgroupDir dir() { return CgroupDir::create(root_.string(), "/app/0"); }

    std::filesystem::path root_;
};

TEST(CpuMaxValue, IsAQuotaOfA100msPeriod) {
    EXPECT_EQ(cpu_max_value(0), "max 100000");
    EXPECT_EQ(cpu_max_value(50), "50000 100000");
    EXPECT_EQ(cpu_max_value(250), "250000 100000");
}

TEST_F(FakeCgroup, WritesLimitsWhoseControllerIsEnabledAndReportsTheRest) {
    offer("memory.max");
    offer("pids.max");
    AppSpec spec;
    spec.memory_max = 256ull << 20;
    spec.pids_max = 64;
    spec.cpu_max_percent = 50;
    auto outcome = apply_resource_limits(dir(), spec);
    EXPECT_EQ(content("memory.max"), std::to_string(256ull << 20));
    EXPECT_EQ(content("pids.max"), "64");
    EXPECT_FALSE(std::filesystem::exists(root_ / "app" / "0" / "cpu.max"));
    ASSERT_EQ(outcome.applied.size(), 2u);
    ASSERT_EQ(outcome.skipped.size(), 1u);
    EXPECT_EQ(outcome.skipped[0], "cpu.max (no cpu controller)");
}

TEST_F(FakeCgroup, ZeroMeansNoLimitAndResetsAnOldOne) {
    offer("pids.max");
    std::ofstream(root_ / "app" / "0" / "pids.max") << "1";
    auto outcome = apply_resource_limits(dir(), AppSpec{});
    EXPECT_EQ(content("pids.max"), "max");
    EXPECT_TRUE(outcome.applied.empty());
    EXPECT_TRUE(outcome.skipped.empty());
}

}  // namespace
}  // namespace pmd
