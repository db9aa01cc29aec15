#include "cluster/notify_socket.h"

#include <gtest/gtest.h>

namespace pmd {

TEST(ParseNotifyMessage, FieldsPerLine) {
    auto f = parse_notify_message("READY=1\nSTATUS=Serving 4 workers\nWATCHDOG=1\n");
    EXPECT_EQ(f["READY"], "1");
    EXPECT_EQ(f["STATUS"], "Serving 4 workers");
    EXPECT_EQ(f["WATCHDOG"], "1");
    EXPECT_EQ(f.size(), 3u);
}

TEST(ParseNotifyMessage, IgnoresMalformedLines) {
    auto f = parse_notify_message("garbage\n=x\nSTATUS=a=b");
    EXPECT_EQ(f.size(), 1u);
    EXPECT_EQ(f["STATUS"], "a=b");
}

}  // namespace pmd
