#include "logs/gzip_compressor.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace pmd {
namespace {

namespace fs = std::filesystem;

class GzipCompressorTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("pmd-gzip-" + std::to_string(::getpid()) + "-" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }

    // Compresses `text` through files, `step` bytes of input per call; returns the number of calls.
    size_t compress(const std::string& text, size_t step) {
        std::ofstream(dir / "in", std::ios::binary) << text;
        GzipCompressor gz(UniqueFd(::open((dir / "in").c_str(), O_RDONLY | O_CLOEXEC)),
                          UniqueFd(::open((dir / "out.gz").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)));
        size_t calls = 1;
        while (!gz.step(step)) ++calls;
        EXPECT_TRUE(gz.step(step)) << "a finished compressor stays finished";
        return calls;
    }
    // What zlib's gzip reader (as zcat) makes of out.gz.
    std::string gunzip() {
        gzFile f = gzopen((dir / "out.gz").c_str(), "rb");
        EXPECT_NE(f, nullptr);
        std::string out;
        char buf[8192];
        int n;
        while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
        EXPECT_EQ(n, 0) << "gzread error";
        gzclose(f);
        return out;
    }
    fs::path dir;
};

TEST_F(GzipCompressorTest, LogLinesComeBackByteForByteInSmallSteps) {
    std::string text;
    for (int i = 0; i < 50000; ++i) text += "2026-01-01T00:00:00 request " + std::to_string(i) + " served\n";
    size_t calls = compress(text, 4096);
    EXPECT_GT(calls, text.size() / 4096) << "one bounded step per call, not the whole file at once";
    EXPECT_EQ(gunzip(), text);
    EXPECT_LT(fs::file_size(dir / "out.gz"), text.size() / 4) << "log lines compress well";
}

TEST_F(GzipCompressorTest, IncompressibleBytesAndAnEmptyFileRoundTrip) {
    std::mt19937 random(42);
    std::string noise(300000, '\0');
    for (char& c : noise) c = static_cast<char>(random());
    compress(noise, GzipCompressor::kDefaultStep);
    EXPECT_EQ(gunzip(), noise);
    compress("", GzipCompressor::kDefaultStep);
    EXPECT_EQ(gunzip(), "");
    EXPECT_GT(fs::file_size(dir / "out.gz"), 0u) << "an empty input still makes a valid .gz";
}

TEST_F(GzipCompressorTest, TheOutputIsAGzipFileToo) {
    compress("hello\n", 100);
    std::ifstream in(dir / "out.gz", std::ios::binary);
    unsigned char magic[2] = {};
    in.read(reinterpret_cast<char*>(magic), 2);
    EXPECT_EQ(magic[0], 0x1f);
    EXPECT_EQ(magic[1], 0x8b);
    EXPECT_EQ(std::system(("gzip -t " + (dir / "out.gz").string()).c_str()), 0) << "gzip(1) accepts it";
}

TEST_F(GzipCompressorTest, AWriteErrorIsAnErrorNotASilentlyShortFile) {
    std::ofstream(dir / "in") << std::string(100000, 'x');
    GzipCompressor gz(UniqueFd(::open((dir / "in").c_str(), O_RDONLY | O_CLOEXEC)),
                      UniqueFd(::open("/dev/full", O_WRONLY | O_CLOEXEC)));
    EXPECT_THROW(
        {
            while (!gz.step()) {
            }
        },
        std::exception);
}

}  // namespace
}  // namespace pmd
