// io.stat as the kernel writes it: one line per device, keys in any order, devices summed.
#include "cgroup/resource_usage.h"

#include <gtest/gtest.h>

namespace pmd {
namespace {

TEST(ParseIoStat, SumsBytesOverDevices) {
    IoUsage u = parse_io_stat(
        "8:0 rbytes=4194304 wbytes=1048576 rios=64 wios=16 dbytes=0 dios=0\n"
        "253:0 rbytes=512 wbytes=1024 rios=1 wios=2 dbytes=0 dios=0\n");
    EXPECT_EQ(u.read_bytes, 4194304u + 512u);
    EXPECT_EQ(u.write_bytes, 1048576u + 1024u);
}

TEST(ParseIoStat, EmptyIsZeroAndOtherKeysAreIgnored) {
    IoUsage none = parse_io_stat("");
    EXPECT_EQ(none.read_bytes, 0u);
    EXPECT_EQ(none.write_bytes, 0u);
    IoUsage u = parse_io_stat("8:16 wios=3 wbytes=12288 rios=0 rbytes=0 dbytes=4096\n");
    EXPECT_EQ(u.read_bytes, 0u);
    EXPECT_EQ(u.write_bytes, 12288u);
}

}  // namespace
}  // namespace pmd
