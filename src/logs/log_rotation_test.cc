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

TEST_F(LogRotationTest, CompressedFilesShiftWithThePlainOnesAndTheOldestOfEitherFormGoes) {
    write(path, "current");
    write(path + ".1", "one, not compressed yet");
    write(path + ".2.gz", "two");
    write(path + ".3.gz", "three");
    write(path + ".3", "three, left plain by a crash");
    rotate_log_files(path, 3);
    EXPECT_EQ(read(path + ".1"), "current");
    EXPECT_EQ(read(path + ".2"), "one, not compressed yet");
    EXPECT_EQ(read(path + ".3.gz"), "two");
    EXPECT_FALSE(fs::exists(path + ".4.gz"));
    EXPECT_FALSE(fs::exists(path + ".4"));
    EXPECT_FALSE(fs::exists(path + ".3")) << "number 3 was beyond log_max_files in both forms";
    EXPECT_EQ(compressed_name(path, 3), path + ".3.gz");
}

}  // namespace
}  // namespace pmd
