#include "logs/date_format.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace pmd {
namespace {

class DateFormatTest : public ::testing::Test {
protected:
    void SetUp() override {
        setenv("TZ", "UTC", 1);
        tzset();
    }
    std::string format(const std::string& f, int64_t ms) {
        std::string out;
        DateFormat(f).append(out, std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
        return out;
    }
};

// 2021-03-04 05:06:07.089 UTC
constexpr int64_t kTime = 1614834367089;

TEST_F(DateFormatTest, Pm2DefaultTimeFormat) {
    EXPECT_EQ(format("YYYY-MM-DD HH:mm:ss Z", kTime), "2021-03-04 05:06:07 +00:00");
}

TEST_F(DateFormatTest, ShortTokensMillisAndAmPm) {
    EXPECT_EQ(format("YY/M/D h:m:s.SSS A ZZ", kTime), "21/3/4 5:6:7.089 AM +0000");
}

TEST_F(DateFormatTest, BracketsAreLiteral) {
    EXPECT_EQ(format("[at] HH[h]", kTime), "at 05h");
}

TEST_F(DateFormatTest, EmptyFormatIsEmpty) {
    EXPECT_TRUE(DateFormat("").empty());
    EXPECT_FALSE(DateFormat("HH").empty());
}

}  // namespace
}  // namespace pmd
