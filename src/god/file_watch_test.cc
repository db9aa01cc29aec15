#include "god/file_watch.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace pmd {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class FileWatchTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/pmd-file-watch-XXXXXX";
        dir = mkdtemp(tmpl);
        fs::create_directories(dir / "src" / "deep");
        fs::create_directories(dir / "node_modules" / "x");
    }
    void TearDown() override { fs::remove_all(dir); }
    void write(const fs::path& p) { std::ofstream(p) << "x"; }
    // Runs `steps` one loop iteration apart, then `quiet` more, and returns the changes seen.
    std::vector<std::string> run(FileWatch::Changed* hook, std::vector<std::function<void()>> steps,
                                 std::chrono::milliseconds quiet, std::vector<std::string> ignore = {},
                                 std::chrono::milliseconds debounce = 100ms) {
        std::vector<std::string> seen;
        FileWatch w(loop, dir, {dir.string()}, std::move(ignore), debounce, [&](const std::string& p) {
            seen.push_back(p);
            if (hook) (*hook)(p);
        });
        size_t i = 0;
        EventSource step;
        std::function<void()> next = [&] {
            if (i < steps.size()) {
                steps[i++]();
                step = loop.add_timer(1ms, next);
            } else {
                step = loop.add_timer(std::chrono::duration_cast<std::chrono::microseconds>(quiet), [&] { loop.exit(0); });
            }
        };
        step = loop.add_timer(1ms, next);
        loop.run();
        return seen;
    }
    EventLoop loop;
    fs::path dir;
};

TEST_F(FileWatchTest, ABurstOfChangesIsOneCall) {
    // 50 writes in 5 groups, the groups a timer apart (sd-event's slack makes that up to
    // 250 ms), all within the 600 ms debounce of each other.
    std::vector<std::function<void()>> steps;
    for (int g = 0; g < 5; ++g)
        steps.push_back([this, g] {
            for (int n = 0; n < 10; ++n) write(dir / "src" / "deep" / ("f" + std::to_string(g * 10 + n)));
        });
    auto seen = run(nullptr, steps, 1500ms, {}, 600ms);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0], (dir / "src" / "deep" / "f0").string());
}

TEST_F(FileWatchTest, IgnoredPathsAndGlobsDoNotCount) {
    auto seen = run(nullptr,
                    {[this] { write(dir / "node_modules" / "x" / "a.js"); }, [this] { write(dir / "src" / "app.log"); },
                     [this] { write(dir / "src" / "deep" / "tmp~"); }},
                    300ms, {"node_modules", "*.log", "src/deep/*~"});
    EXPECT_TRUE(seen.empty());
}

TEST_F(FileWatchTest, NewDirectoriesAreFollowed) {
    auto seen = run(nullptr,
                    {[this] { fs::create_directories(dir / "new" / "inner"); },
                     // after the debounce of the mkdir: a write deep in the new tree is seen
                     [] {}, [] {}, [] {}, [this] { std::this_thread::sleep_for(150ms); },
                     [this] { write(dir / "new" / "inner" / "file"); }},
                    400ms);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[1], (dir / "new" / "inner" / "file").string());
}

}  // namespace
}  // namespace pmd
