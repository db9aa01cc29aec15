#include "base/proc_stat.h"

#include <unistd.h>

#include <gtest/gtest.h>

namespace pmd {

TEST(ProcStat, ParsesFieldsAfterTheLastParenthesis) {
    // comm with a space and a ')' of its own: parsing must start after the last ')'.
    auto s = parse_proc_stat(
        "1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 5555 1000000 42 "
        "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->state, 'S');
    EXPECT_EQ(s->utime_ticks, 7u);
    EXPECT_EQ(s->stime_ticks, 3u);
    EXPECT_EQ(s->start_time_ticks, 5555u);
    EXPECT_EQ(s->rss_pages, 42u);
}

TEST(ProcStat, RejectsTruncatedText) {
    EXPECT_FALSE(parse_proc_stat("1234 (x) S 1 2 3"));
    EXPECT_FALSE(parse_proc_stat("no parenthesis"));
    EXPECT_FALSE(parse_proc_stat(""));
}

TEST(ProcStat, ReadsItself) {
    auto s = read_proc_stat(getpid());
    ASSERT_TRUE(s);
    EXPECT_EQ(s->state, 'R');
    EXPECT_GT(s->rss_pages, 0u);
    EXPECT_GT(s->start_time_ticks, 0u);
}

TEST(ProcStat, GoneProcessIsNullopt) { EXPECT_FALSE(read_proc_stat(0x3fffffff)); }

}  // namespace pmd
