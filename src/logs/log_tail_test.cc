#include "logs/log_tail.h"

#include <gtest/gtest.h>

namespace pmd {
namespace {

LogLine line(LogStream stream, std::string_view text) {
    return LogLine{"app", 0, stream, text, std::chrono::system_clock::now()};
}

TEST(LogTail, KeepsBothStreamsApartAndInReadingOrderTogether) {
    LogTail t;
    t.add(line(LogStream::Out, "o1"));
    t.add(line(LogStream::Err, "e1"));
    t.add(line(LogStream::Out, "o2"));
    auto out = t.last(LogStream::Out, 10);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].text, "o1");
    EXPECT_EQ(out[1].text, "o2");
    auto err = t.last(LogStream::Err, 10);
    ASSERT_EQ(err.size(), 1u);
    EXPECT_EQ(err[0].text, "e1");
    auto both = t.last(std::nullopt, 2);
    ASSERT_EQ(both.size(), 2u);
    EXPECT_EQ(both[0].text, "e1");
    EXPECT_EQ(both[1].text, "o2");
}

TEST(LogTail, IsBoundedByLinesAndBytesAndCutsLongLines) {
    LogTail t;
    for (size_t i = 0; i < LogTail::kLines + 10; ++i) t.add(line(LogStream::Out, std::to_string(i)));
    auto kept = t.last(LogStream::Out, 100000);
    ASSERT_EQ(kept.size(), LogTail::kLines);
    EXPECT_EQ(kept.back().text, std::to_string(LogTail::kLines + 9));

    std::string big(LogTail::kLineBytes * 2, 'x');
    for (int i = 0; i < 40; ++i) t.add(line(LogStream::Err, big));
    auto err = t.last(LogStream::Err, 100000);
    EXPECT_EQ(err.back().text.size(), LogTail::kLineBytes);
    EXPECT_LE(err.size() * LogTail::kLineBytes, LogTail::kBytes);
    EXPECT_EQ(t.last(LogStream::Out, 100000).size(), LogTail::kLines) << "one stream never evicts the other";
}

TEST(LogTail, KeepsOnlyValidUtf8ForTheBus) {
    LogTail t;
    t.add(line(LogStream::Out, std::string_view("caf\xc3\xa9 \xff\xfe ok\0x", 13)));
    t.add(line(LogStream::Out, "cut \xe2\x82"));  // a line cut inside a character
    t.add(line(LogStream::Out, "\xed\xa0\x80 \xc0\xaf \xf0\x9f\x98\x80"));  // surrogate, overlong, emoji
    auto kept = t.last(LogStream::Out, 10);
    ASSERT_EQ(kept.size(), 3u);
    EXPECT_EQ(kept[0].text, "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd ok\xef\xbf\xbdx");
    EXPECT_EQ(kept[1].text, "cut \xef\xbf\xbd\xef\xbf\xbd");
    EXPECT_EQ(kept[2].text, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd \xf0\x9f\x98\x80");
}

}  // namespace
}  // namespace pmd
