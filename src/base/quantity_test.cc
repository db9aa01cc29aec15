#include "base/quantity.h"

#include <gtest/gtest.h>

using namespace std::chrono_literals;

namespace pmd {

TEST(ParseDuration, BareNumberIsMilliseconds) { EXPECT_EQ(parse_duration("1600"), 1600ms); }

TEST(ParseDuration, UnitsAndCompounds) {
    EXPECT_EQ(parse_duration("5s"), 5000ms);
    EXPECT_EQ(parse_duration("250ms"), 250ms);
    EXPECT_EQ(parse_duration("1m30s"), 90'000ms);
    EXPECT_EQ(parse_duration("1.5s"), 1500ms);
    EXPECT_EQ(parse_duration("2h"), 7'200'000ms);
    EXPECT_EQ(parse_duration(" 3 min "), std::nullopt);  // inner spaces are not a duration
}

TEST(ParseDuration, RejectsGarbage) {
    EXPECT_EQ(parse_duration(""), std::nullopt);
    EXPECT_EQ(parse_duration("s"), std::nullopt);
    EXPECT_EQ(parse_duration("5x"), std::nullopt);
    EXPECT_EQ(parse_duration("-5s"), std::nullopt);
    EXPECT_EQ(parse_duration("1m30"), std::nullopt);
    EXPECT_EQ(parse_duration("99999999999999999999999d"), std::nullopt);
}

TEST(ParseSize, Units) {
    EXPECT_EQ(parse_size("512M"), 512ull << 20);
    EXPECT_EQ(parse_size("1G"), 1ull << 30);
    EXPECT_EQ(parse_size("100"), 100u);
    EXPECT_EQ(parse_size("1.5K"), 1536u);
    EXPECT_EQ(parse_size("2MiB"), 2ull << 20);
    EXPECT_EQ(parse_size("12Q"), std::nullopt);
    EXPECT_EQ(parse_size(""), std::nullopt);
}

TEST(Format, HumanReadable) {
    EXPECT_EQ(format_duration(1600ms), "1.6s");
    EXPECT_EQ(format_duration(90'000ms), "1m30s");
    EXPECT_EQ(format_size(512ull << 20), "512M");
    EXPECT_EQ(format_size(1536), "1.5K");
}

}  // namespace pmd
