#include "logs/log_rotation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace pmd {
namespace {

namespace fs = std::filesystem;

class LogRotationTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("pmd-rotation-" + std::to_string(::getpid()) + "-" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
        path = (dir / "app-out.log").string();
    }
    void TearDown() override { fs::remove_all(dir); }
    void write(const std::string& p, const std::string& text) { std::ofstream(p) << text; }
    std::string read(const std::string& p) {
        std::ifstream in(p);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    fs::path dir;
    std::string path;
};

TEST_F(LogRotationTest, ShiftsEveryFileOneUpAndDropsTheOldest) {
    write(path, "current");
    write(path + ".1", "one");
    write(path + ".2", "two");
    rotate_log_files(path, 2);
    EXPECT_FALSE(fs::exists(path));
    EXPECT_EQ(read(path + ".1"), "current");
    EXPECT_EQ(read(path + ".2"), "one");
    EXPECT_FALSE(fs::exists(path + ".3"));
}

TEST_F(LogRotationTest, WorksWithGapsAndNoHistory) {
    write(path, "current");
    rotate_log_files(path, 5);
    EXPECT_EQ(read(path + ".1"), "current");
    write(path, "next");
    rotate_log_files(path, 5);
    EXPECT_EQ(read(path + ".1"), "next");
    EXPECT_EQ(read(path + ".2"), "current");
}

TEST_F(LogRotationTest, ZeroFilesKeptDeletesTheFile) {
    write(path, "current");
    rotate_log_files(path, 0);
    EXPECT_FALSE(fs::exists(path));
    EXPECT_FALSE(fs::exists(path + ".1"));
}

}  // namespace
}  // namespace pmd
