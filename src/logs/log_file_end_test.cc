#include "logs/log_file_end.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace pmd {
namespace {

class LogFileEndTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/pmd-log-file-end.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir = tmpl;
        path = dir + "/app-out.log";
    }
    void TearDown() override {
        ::unlink(path.c_str());
        ::rmdir(dir.c_str());
    }
    void write(const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }
    std::vector<std::string> lines(size_t max_lines, size_t max_bytes) {
        auto end = read_log_file_end(path, std::nullopt, max_lines, max_bytes);
        return end ? end->lines : std::vector<std::string>{"<none>"};
    }

    std::string dir, path;
};

TEST_F(LogFileEndTest, WholeSmallFileLineByLineAndAnUnterminatedLastLine) {
    write("a\nbb\n\nccc");
    EXPECT_EQ(lines(10, 1000), (std::vector<std::string>{"a", "bb", "", "ccc"}));
    write("");
    EXPECT_EQ(lines(10, 1000), std::vector<std::string>{});
}

TEST_F(LogFileEndTest, AtMostMaxLinesTheLastOnes) {
    write("1\n2\n3\n4\n");
    EXPECT_EQ(lines(2, 1000), (std::vector<std::string>{"3", "4"}));
}

TEST_F(LogFileEndTest, ALineTheByteWindowCutsIsDroppedAWholeOneKept) {
    write("first\nsecond\nthird\n");  // 19 bytes
    // The last 9 bytes are "nd\nthird\n": "nd" is the end of a line.
    EXPECT_EQ(lines(10, 9), std::vector<std::string>{"third"});
    // The last 13 bytes are "second\nthird\n": the byte before is a newline, "second" is whole.
    EXPECT_EQ(lines(10, 13), (std::vector<std::string>{"second", "third"}));
    // A window inside one line has no whole line.
    EXPECT_EQ(lines(10, 3), std::vector<std::string>{});
}

TEST_F(LogFileEndTest, NoFileOrNotARegularFileIsNothing) {
    EXPECT_EQ(lines(10, 1000), std::vector<std::string>{"<none>"});
    ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
    EXPECT_EQ(lines(10, 1000), std::vector<std::string>{"<none>"});  // and did not block
}

TEST_F(LogFileEndTest, MtimeIsTheFiles) {
    write("x\n");
    struct timespec times[2] = {{1700000000, 0}, {1700000000, 250000000}};
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
    auto end = read_log_file_end(path, std::nullopt, 10, 100);
    ASSERT_TRUE(end);
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(end->mtime.time_since_epoch()).count(),
              1700000000250);
}

}  // namespace
}  // namespace pmd
