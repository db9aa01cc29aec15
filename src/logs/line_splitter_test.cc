#include "logs/line_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pmd {
namespace {

struct Collector {
    std::vector<std::string> lines;
    LineSplitter::Emit emit() {
        return [this](std::string_view l) { lines.emplace_back(l); };
    }
};

TEST(LineSplitter, EmitsWholeLinesWithoutTheNewline) {
    LineSplitter s;
    Collector c;
    s.feed("one\ntwo\n", c.emit());
    EXPECT_EQ(c.lines, (std::vector<std::string>{"one", "two"}));
    EXPECT_EQ(s.pending_bytes(), 0u);
}

TEST(LineSplitter, JoinsALineSplitAcrossReads) {
    LineSplitter s;
    Collector c;
    s.feed("hel", c.emit());
    s.feed("lo\nwor", c.emit());
    s.feed("ld\n", c.emit());
    EXPECT_EQ(c.lines, (std::vector<std::string>{"hello", "world"}));
}

TEST(LineSplitter, KeepsEmptyLines) {
    LineSplitter s;
    Collector c;
    s.feed("\n\nx\n", c.emit());
    EXPECT_EQ(c.lines, (std::vector<std::string>{"", "", "x"}));
}

TEST(LineSplitter, CutsALineLongerThanTheLimit) {
    LineSplitter s(4);
    Collector c;
    s.feed("abcdefghij\nxy\n", c.emit());
    EXPECT_EQ(c.lines, (std::vector<std::string>{"abcd", "efgh", "ij", "xy"}));
}

TEST(LineSplitter, CutsALongLineArrivingInPieces) {
    LineSplitter s(4);
    Collector c;
    s.feed("ab", c.emit());
    s.feed("cdef", c.emit());
    s.feed("g\n", c.emit());
    EXPECT_EQ(c.lines, (std::vector<std::string>{"abcd", "efg"}));
}

TEST(LineSplitter, ALineOfExactlyTheLimitIsOneLine) {
    LineSplitter s(4);
    Collector c;
    s.feed("abcd\n", c.emit());
    EXPECT_EQ(c.lines, (std::vector<std::string>{"abcd"}));
}

TEST(LineSplitter, FinishEmitsAnUnterminatedLastLine) {
    LineSplitter s;
    Collector c;
    s.feed("done\npartial", c.emit());
    s.finish(c.emit());
    s.finish(c.emit());
    EXPECT_EQ(c.lines, (std::vector<std::string>{"done", "partial"}));
}

}  // namespace
}  // namespace pmd
