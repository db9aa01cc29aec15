#include "logs/file_sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace pmd {
namespace {

namespace fs = std::filesystem;

class FileSinkTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("pmd-file-sink-" + std::to_string(::getpid()) + "-" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
        path = (dir / "app-out.log").string();
    }
    void TearDown() override { fs::remove_all(dir); }

    static std::vector<std::string> lines_of(const std::string& p) {
        std::vector<std::string> out;
        std::ifstream in(p);
        for (std::string l; std::getline(in, l);) out.push_back(l);
        return out;
    }
    static LogLine line(std::string_view text) { return {"app", 0, LogStream::Out, text, {}}; }
    static std::vector<std::string> gunzip_lines(const std::string& p) {
        gzFile f = gzopen(p.c_str(), "rb");
        EXPECT_NE(f, nullptr) << p;
        std::string text;
        char buf[8192];
        for (int n; (n = gzread(f, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
        gzclose(f);
        std::vector<std::string> out;
        for (size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
            out.push_back(text.substr(at, nl - at));
        return out;
    }
    // Runs loop iterations (the compression steps) until the sink has nothing left to compress.
    void run_until_compressed(const FileSink& sink) {
        for (int i = 0; i < 100000 && !sink.compression_idle(); ++i) sd_event_run(loop.get(), 0);
        ASSERT_TRUE(sink.compression_idle());
    }

    EventLoop loop;
    fs::path dir;
    std::string path;
};

// How many of this process's fds name the file (by /proc/self/fd links, not by numbers).
size_t fds_naming(const std::string& p) {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        if (fs::read_symlink(e.path(), ec) == fs::path(p)) ++n;
    }
    return n;
}

TEST_F(FileSinkTest, AQuietFileIsCreatedButHeldOpenOnlyFromItsFirstLine) {
    FileSink sink(loop, path, {0, 0}, DateFormat());
    EXPECT_TRUE(fs::exists(path));
    EXPECT_EQ(fds_naming(path), 0u);
    sink.flush();
    sink.truncate();  // pmctl flush of a quiet app opens nothing for good
    sink.reopen();
    EXPECT_EQ(fds_naming(path), 0u);
    sink.write(line("first"));
    sink.flush();
    EXPECT_EQ(fds_naming(path), 1u);
    sink.write(line("second"));
    sink.flush();
    EXPECT_EQ(lines_of(path), (std::vector<std::string>{"first", "second"}));
}

TEST_F(FileSinkTest, AQuietFileMovedAwayIsOpenedAnewAtItsFirstLine) {
    FileSink sink(loop, path, {0, 0}, DateFormat());
    fs::rename(path, path + ".old");  // what logrotate does before pmctl reopen-logs
    sink.reopen();
    sink.write(line("after"));
    sink.flush();
    EXPECT_EQ(lines_of(path), (std::vector<std::string>{"after"}));
    EXPECT_TRUE(lines_of(path + ".old").empty());
}

TEST_F(FileSinkTest, AFileThatCannotBeOpenedAtItsFirstLineCountsItsLines) {
    FileSink sink(loop, path, {0, 0}, DateFormat());
    fs::remove_all(dir);
    sink.write(line("lost"));
    sink.flush();
    EXPECT_EQ(sink.dropped_lines(), 1u);
}

TEST_F(FileSinkTest, RotationKeepsEveryLineExactlyOnceInOrder) {
    FileSink sink(loop, path, {1000, 3}, DateFormat());
    std::vector<std::string> written;
    for (int i = 0; i < 600; ++i) {
        written.push_back("line " + std::to_string(i));
        sink.write(line(written.back()));
        if (i % 7 == 0) sink.flush();
    }
    sink.flush();
    EXPECT_GE(sink.rotations(), 1u);
    std::vector<std::string> found;
    for (int n = 3; n >= 1; --n)
        for (auto& l : lines_of(rotated_name(path, n))) found.push_back(l);
    for (auto& l : lines_of(path)) found.push_back(l);
    // Only the newest files are kept: what is there is the tail of what was written, whole.
    ASSERT_FALSE(found.empty());
    std::vector<std::string> tail(written.end() - static_cast<long>(found.size()), written.end());
    EXPECT_EQ(found, tail);
    for (int n = 1; n <= 3; ++n) EXPECT_LE(fs::file_size(rotated_name(path, n)), 1000u);
}

// log_compress: rotations happen while earlier files are still being compressed (one loop
// iteration between some lines), so a file moves up while it is compressed; every line is in
// exactly one file, in order, and every kept rotated file ends up as .gz.
TEST_F(FileSinkTest, CompressedRotationKeepsEveryLineExactlyOnceInOrder) {
    FileSink sink(loop, path, {4000, 4, true}, DateFormat());
    std::vector<std::string> written;
    for (int i = 0; i < 6000; ++i) {
        written.push_back("line " + std::to_string(i));
        sink.write(line(written.back()));
        if (i % 5 == 0) {
            sink.flush();
            sd_event_run(loop.get(), 0);
        }
    }
    sink.flush();
    run_until_compressed(sink);
    EXPECT_GE(sink.rotations(), 10u);
    std::vector<std::string> found;
    for (uint32_t n = 4; n >= 1; --n) {
        ASSERT_TRUE(fs::exists(compressed_name(path, n))) << n;
        EXPECT_FALSE(fs::exists(rotated_name(path, n))) << "the plain file goes once its .gz is complete";
        for (auto& l : gunzip_lines(compressed_name(path, n))) found.push_back(l);
    }
    for (auto& l : lines_of(path)) found.push_back(l);
    EXPECT_FALSE(fs::exists(RotatedLogCompression::temporary_name(path)));
    std::vector<std::string> tail(written.end() - static_cast<long>(found.size()), written.end());
    EXPECT_EQ(found, tail);
    EXPECT_GT(found.size(), 4 * 300u) << "four rotated files of ~4000 bytes each were kept";
}

// A crash in the middle of a compression leaves the plain rotated file and a partial .gz.tmp:
// nothing is lost, and the next pmd compresses the file again.
TEST_F(FileSinkTest, APlainRotatedFileLeftByACrashIsCompressedAtStart) {
    std::ofstream(rotated_name(path, 1)) << "before the crash\n";
    std::ofstream(RotatedLogCompression::temporary_name(path)) << "partial garbage";
    FileSink sink(loop, path, {4000, 4, true}, DateFormat());
    run_until_compressed(sink);
    EXPECT_EQ(gunzip_lines(compressed_name(path, 1)), (std::vector<std::string>{"before the crash"}));
    EXPECT_FALSE(fs::exists(rotated_name(path, 1)));
    EXPECT_FALSE(fs::exists(RotatedLogCompression::temporary_name(path)));
}

TEST_F(FileSinkTest, ABurstBiggerThanTheBufferIsWrittenNotDropped) {
    FileSink sink(loop, path, {}, DateFormat());
    std::string text(1000, 'z');
    for (int i = 0; i < 3000; ++i) sink.write(line(text));  // 3 MB before any flush()
    sink.flush();
    EXPECT_EQ(sink.dropped_lines(), 0u);
    EXPECT_EQ(lines_of(path).size(), 3000u);
}

TEST_F(FileSinkTest, PrefixesTheDateFormat) {
    FileSink sink(loop, path, {}, DateFormat("[T]"));
    sink.write(line("hello"));
    sink.flush();
    EXPECT_EQ(lines_of(path), (std::vector<std::string>{"T: hello"}));
}

TEST_F(FileSinkTest, FullDiskDropsAndCountsLines) {
    FileSink sink(loop, "/dev/full", {1000, 3}, DateFormat());
    for (int i = 0; i < 5; ++i) sink.write(line("x"));
    sink.flush();
    EXPECT_EQ(sink.dropped_lines(), 5u);
}

TEST_F(FileSinkTest, StuckReaderBuffersThenDropsWithoutBlocking) {
    std::string fifo = (dir / "fifo").string();
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    UniqueFd reader(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    ASSERT_TRUE(reader);
    FileSink sink(loop, fifo, {1000, 3}, DateFormat());
    std::string text(1000, 'y');
    for (int i = 0; i < 3000; ++i) {  // 3 MB into a pipe nobody reads
        sink.write(line(text));
        sink.flush();
    }
    EXPECT_GT(sink.dropped_lines(), 0u);
    EXPECT_LT(sink.dropped_lines(), 3000u);
}

TEST_F(FileSinkTest, TruncateEmptiesAndReopenFollowsARename) {
    FileSink sink(loop, path, {}, DateFormat());
    sink.write(line("one"));
    sink.flush();
    sink.truncate();
    EXPECT_EQ(fs::file_size(path), 0u);
    sink.write(line("two"));
    sink.flush();
    fs::rename(path, path + ".old");
    sink.reopen();
    sink.write(line("three"));
    sink.flush();
    EXPECT_EQ(lines_of(path + ".old"), (std::vector<std::string>{"two"}));
    EXPECT_EQ(lines_of(path), (std::vector<std::string>{"three"}));
}

}  // namespace
}  // namespace pmd
