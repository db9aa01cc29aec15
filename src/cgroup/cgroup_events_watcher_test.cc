#include "cgroup/cgroup_events_watcher.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "base/unique_fd.h"

namespace pmd {
namespace {

using namespace std::chrono_literals;

// The kernel gives two inotify watches of one file the same descriptor: the watcher must still
// tell both, and dropping one must leave the other (an instance's exit watch and a freeze wait
// both watch its cgroup.events; any modified file behaves alike for inotify).
TEST(CgroupEventsWatcherTest, TwoWatchesOfOneFileBothHearAndOutliveEachOther) {
    char dir[] = "/tmp/pmd-watcher-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    std::string file = std::string(dir) + "/cgroup.events";
    UniqueFd fd(::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    ASSERT_TRUE(fd);

    EventLoop loop;
    CgroupEventsWatcher watcher(loop);
    int first = 0, second = 0;
    auto touch = [&] { ASSERT_EQ(::write(fd.get(), "x", 1), 1); };
    auto a = watcher.watch(dir, [&] {
        ++first;
        if (first == 2) loop.exit(0);
    });
    CgroupEventsWatcher::Watch b;
    b = watcher.watch(dir, [&] {
        ++second;
        if (second == 1) {
            b.reset();  // dropped from inside its own handler; `a` still hears the next change
            touch();
        }
    });
    touch();
    auto deadline = loop.add_timer(std::chrono::duration_cast<std::chrono::microseconds>(10s), [&] { loop.exit(1); });
    EXPECT_EQ(loop.run(), 0);
    EXPECT_EQ(first, 2);
    EXPECT_EQ(second, 1);
    ::unlink(file.c_str());
    ::rmdir(dir);
}

}  // namespace
}  // namespace pmd
