// apply_resource_limits against a directory that stands in for a cgroup: the interface files of
// enabled controllers exist, the others do not (as in a real cgroup2 tree).
#include "cgroup/resource_limits.h"

#include "base/error.h"
#include "cgroup/block_device.h"

#include <gtest/gtest.h>

#include <algorithm>
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

// The root filesystem's disk as whole_disk_of finds it; empty where / is on no block device.
std::string root_disk() {
    std::string why;
    return whole_disk_of("/", why).value_or("");
}

TEST_F(FakeCgroup, IoWeightIsTheDefaultWeight) {
    offer("io.weight");
    AppSpec spec;
    spec.io_weight = 250;
    auto outcome = apply_resource_limits(dir(), spec);
    EXPECT_EQ(content("io.weight"), "default 250");
    ASSERT_EQ(outcome.applied.size(), 1u);
    EXPECT_EQ(outcome.applied[0], "io.weight=default 250");
}

TEST_F(FakeCgroup, IoWeightUnsetIsTheKernelsDefault) {
    offer("io.weight");
    auto outcome = apply_resource_limits(dir(), AppSpec{});
    EXPECT_EQ(content("io.weight"), "default 100");
    EXPECT_TRUE(outcome.applied.empty());
}

TEST_F(FakeCgroup, IoBandwidthGoesToIoMaxOfTheWholeDisk) {
    std::string disk = root_disk();
    if (disk.empty()) GTEST_SKIP() << "/ is on no block device here";
    offer("io.max");
    AppSpec spec;
    spec.io_write_bandwidth_max = {{"/", 2 << 20}};
    spec.io_read_bandwidth_max = {{"/tmp", 1 << 20}};
    auto outcome = apply_resource_limits(dir(), spec);
    EXPECT_EQ(content("io.max"), disk + " rbps=1048576 wbps=2097152");
    ASSERT_EQ(outcome.applied.size(), 1u);
    EXPECT_EQ(outcome.applied[0], "io.max=" + disk + " rbps=1048576 wbps=2097152");
}

TEST_F(FakeCgroup, IoWithoutTheControllerIsReportedNotApplied) {
    AppSpec spec;
    spec.io_weight = 50;
    spec.io_write_bandwidth_max = {{"/nonexistent", 2 << 20}};  // not even resolved
    auto outcome = apply_resource_limits(dir(), spec);
    EXPECT_TRUE(outcome.applied.empty());
    ASSERT_EQ(outcome.skipped.size(), 2u);
    EXPECT_EQ(outcome.skipped[0], "io.weight (no io controller)");
    EXPECT_EQ(outcome.skipped[1], "io.max (no io controller)");
}

TEST_F(FakeCgroup, AnIoPathOnNoDiskFailsNamingTheKey) {
    offer("io.max");
    AppSpec spec;
    spec.io_read_bandwidth_max = {{"/nonexistent/pmd-io", 2 << 20}};
    try {
        apply_resource_limits(dir(), spec);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "io_read_bandwidth_max \"/nonexistent/pmd-io\": No such file or directory");
    }
}

TEST(IoMaxLines, ADiskNoLongerCappedGoesBackToMax) {
    std::string disk = root_disk();
    if (disk.empty()) GTEST_SKIP() << "/ is on no block device here";
    AppSpec spec;
    spec.io_write_bandwidth_max = {{"/", 4096}};
    auto lines = io_max_lines(spec, "7:3 rbps=1 wbps=2 riops=max wiops=max\n" + disk + " rbps=5 wbps=max riops=max wiops=max\n");
    std::vector<std::string> want = {disk + " rbps=max wbps=4096", "7:3 rbps=max wbps=max"};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(lines, want);
    EXPECT_EQ(io_max_lines(AppSpec{}, ""), std::vector<std::string>{});
}

}  // namespace
}  // namespace pmd
