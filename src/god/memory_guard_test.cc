#include "god/memory_guard.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace pmd {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST(MemoryGuard, SamplingFiresOnceAboveTheLimit) {
    EventLoop loop;
    std::vector<uint64_t> samples = {10, 50, 99, 100, 150, 200};
    size_t next = 0;
    std::vector<uint64_t> fired;
    EventSource stop;
    std::unique_ptr<MemoryGuard> guard;
    guard = MemoryGuard::sampling(
        loop, [&] { return samples[std::min(next++, samples.size() - 1)]; }, 100, 1ms, [&](uint64_t bytes) {
            fired.push_back(bytes);
            // Whatever comes later, the guard said it once; end the test a few samples later.
            stop = loop.add_timer(20ms, [&] { loop.exit(0); });
        });
    loop.run();
    ASSERT_EQ(fired.size(), 1u);
    EXPECT_EQ(fired[0], 150u);  // 100 is the limit itself, not over it
    EXPECT_EQ(next, 5u);        // no sampling after firing
}

// The cgroup path against a stand-in directory: memory.high is written, and a growing "high"
// counter in memory.events (inotify IN_MODIFY, as the kernel notifies) fires the guard; other
// counters changing do not.
TEST(MemoryGuard, CgroupHighEventsFire) {
    char tmpl[] = "/tmp/pmd-memory-guard-XXXXXX";
    fs::path dir = mkdtemp(tmpl);
    std::ofstream(dir / "memory.high") << "max\n";
    std::ofstream(dir / "memory.events") << "low 0\nhigh 2\nmax 0\noom 0\noom_kill 0\n";
    std::ofstream(dir / "memory.current") << "123456789\n";
    CgroupDir cgroup = CgroupDir::create(dir.parent_path().string(), "/" + dir.filename().string());
    EventLoop loop;
    CgroupEventsWatcher watcher(loop);
    std::vector<uint64_t> fired;
    auto guard = MemoryGuard::with_cgroup(watcher, cgroup, 100 << 20, [&](uint64_t bytes) { fired.push_back(bytes); });
    std::string high;
    std::getline(std::ifstream(dir / "memory.high"), high);
    EXPECT_EQ(high, std::to_string(100 << 20));

    EventSource step = loop.add_timer(1ms, [&] {
        std::ofstream(dir / "memory.events") << "low 1\nhigh 2\nmax 0\noom 0\noom_kill 0\n";  // not "high"
        step = loop.add_timer(20ms, [&] {
            EXPECT_TRUE(fired.empty());
            std::ofstream(dir / "memory.events") << "low 1\nhigh 3\nmax 0\noom 0\noom_kill 0\n";
            step = loop.add_timer(20ms, [&] {
                std::ofstream(dir / "memory.events") << "low 1\nhigh 4\nmax 0\noom 0\noom_kill 0\n";
                step = loop.add_timer(20ms, [&] { loop.exit(0); });
            });
        });
    });
    loop.run();
    ASSERT_EQ(fired.size(), 1u);  // once: the instance is being restarted
    EXPECT_EQ(fired[0], 123456789u);
    guard.reset();
    fs::remove_all(dir);
}

}  // namespace
}  // namespace pmd
