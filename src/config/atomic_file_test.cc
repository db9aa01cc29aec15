#include "config/atomic_file.h"

#include <unistd.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "base/error.h"
#include "config/app_file.h"

namespace pmd {
namespace {

using ::testing::HasSubstr;

class AtomicFile : public ::testing::Test {
protected:
    void SetUp() override {
        // One directory per process: ctest runs each test as a process of its own, in
        // parallel, and other checkouts on the machine run the same tests in the same /tmp.
        dir_ = std::filesystem::path(::testing::TempDir()) / ("pmd_atomic_file_test." + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    size_t entries() const {
        return static_cast<size_t>(
            std::distance(std::filesystem::directory_iterator(dir_), std::filesystem::directory_iterator()));
    }
    std::filesystem::path dir_;
};

TEST_F(AtomicFile, CreatesAndReplacesWithoutLeavingTemporaryFiles) {
    auto path = dir_ / "dump.toml";
    write_file_atomically(path, "first\n");
    EXPECT_EQ(read_text_file(path), "first\n");
    write_file_atomically(path, "second, longer content\n", 0600);
    EXPECT_EQ(read_text_file(path), "second, longer content\n");
    EXPECT_EQ(entries(), 1u);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AtomicFile, ReplacesByRenameSoOpenReadersKeepTheOldContent) {
    auto path = dir_ / "dump.toml";
    write_file_atomically(path, "old");
    struct stat before {
    }, after{};
    ASSERT_EQ(::stat(path.c_str(), &before), 0);
    write_file_atomically(path, "new");
    ASSERT_EQ(::stat(path.c_str(), &after), 0);
    EXPECT_NE(before.st_ino, after.st_ino) << "a new inode means the old one was never truncated";
}

TEST_F(AtomicFile, FailureNamesThePathAndLeavesTheOldFile) {
    auto path = dir_ / "dump.toml";
    write_file_atomically(path, "keep me");
    // Renaming a file onto a non-empty directory fails after the temporary file was written.
    std::filesystem::create_directories(dir_ / "occupied" / "x");
    try {
        write_file_atomically(dir_ / "occupied", "data");
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::Failed);
        EXPECT_THAT(e.what(), HasSubstr("occupied"));
    }
    EXPECT_EQ(entries(), 2u) << "the temporary file was removed";
    EXPECT_EQ(read_text_file(path), "keep me");
    EXPECT_THROW(write_file_atomically(dir_ / "no" / "such" / "dir.toml", "x"), Error);
}

}  // namespace
}  // namespace pmd
