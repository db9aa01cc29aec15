#include "cgroup/cgroup_tree.h"

#include <gtest/gtest.h>

namespace pmd {

TEST(FindCgroup2Mount, HybridHost) {
    const char* mountinfo =
        "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n";
    EXPECT_EQ(find_cgroup2_mount(mountinfo), "/sys/fs/cgroup/unified");
}

TEST(FindCgroup2Mount, EscapedPathAndAbsence) {
    EXPECT_EQ(find_cgroup2_mount("40 30 0:37 / /mnt/my\\040cg rw - cgroup2 cgroup2 rw\n"), "/mnt/my cg");
    EXPECT_EQ(find_cgroup2_mount("30 22 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"), "");
}

TEST(FindOwnCgroup, PicksTheUnifiedLine) {
    EXPECT_EQ(find_own_cgroup("4:memory:/x\n0::/system.slice/pmd.service\n"), "/system.slice/pmd.service");
    EXPECT_EQ(find_own_cgroup("4:memory:/x\n"), "");
}

}  // namespace pmd
