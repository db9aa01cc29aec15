#include "config/cron_schedule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ctime>

#include "base/error.h"

namespace pmd {
namespace {

using ::testing::HasSubstr;
using TP = CronSchedule::TimePoint;

// The injectable clock: instants written as UTC calendar times.
TP utc(int y, int mo, int d, int h, int mi, int s = 0) {
    struct tm t{};
    t.tm_year = y - 1900;
    t.tm_mon = mo - 1;
    t.tm_mday = d;
    t.tm_hour = h;
    t.tm_min = mi;
    t.tm_sec = s;
    return TP(std::chrono::seconds(timegm(&t)));
}

TP next(const char* expr, TP after) {
    auto n = CronSchedule::parse(std::string("CRON_TZ=UTC ") + expr).next_after(after);
    if (!n) throw std::runtime_error("no next run");
    return *n;
}

TEST(CronSchedule, FiveFieldsRunAtSecondZero) {
    EXPECT_EQ(next("0 3 * * *", utc(2026, 11, 25, 18, 31)), utc(2026, 11, 26, 3, 0));
    EXPECT_EQ(next("*/5 * * * *", utc(2026, 11, 25, 18, 31, 7)), utc(2026, 11, 25, 18, 35));
    // Strictly after: at the exact run time the next one is the following.
    EXPECT_EQ(next("0 3 * * *", utc(2026, 11, 26, 3, 0)), utc(2026, 11, 27, 3, 0));
}

TEST(CronSchedule, SixFieldsHaveSecondsFirst) {
    EXPECT_EQ(next("*/10 * * * * *", utc(2026, 1, 1, 0, 0, 1)), utc(2026, 1, 1, 0, 0, 10));
    EXPECT_EQ(next("* * * * * *", utc(2026, 1, 1, 0, 0, 59)), utc(2026, 1, 1, 0, 1, 0));
    EXPECT_EQ(next("30 15 10 * * *", utc(2026, 1, 1, 10, 15, 30)), utc(2026, 1, 2, 10, 15, 30));
}

TEST(CronSchedule, ListsRangesStepsAndNames) {
    EXPECT_EQ(next("0 9-17/4 * * MON-FRI", utc(2026, 11, 27, 14, 0)), utc(2026, 11, 27, 17, 0));  // 9, 13, 17
    EXPECT_EQ(next("0 9-17/4 * * MON-FRI", utc(2026, 11, 27, 17, 0)), utc(2026, 11, 30, 9, 0));   // Fri -> Mon
    EXPECT_EQ(next("15,45 * * * *", utc(2026, 1, 1, 0, 20)), utc(2026, 1, 1, 0, 45));
    EXPECT_EQ(next("0 0 1 jan,Jul *", utc(2026, 2, 1, 0, 0)), utc(2026, 7, 1, 0, 0));
    EXPECT_EQ(next("0 0 * * 7", utc(2026, 11, 25, 0, 0)), utc(2026, 11, 29, 0, 0));  // 7 = Sunday
    EXPECT_EQ(next("0 0 * * 0", utc(2026, 11, 25, 0, 0)), utc(2026, 11, 29, 0, 0));
    EXPECT_EQ(next("5/20 * * * *", utc(2026, 1, 1, 0, 26)), utc(2026, 1, 1, 0, 45));
}

TEST(CronSchedule, DayOfMonthOrDayOfWeekWhenBothRestricted) {
    // The 13th or any Friday: from Wed 2026-11-25 the next is Fri 27th.
    EXPECT_EQ(next("0 0 13 * 5", utc(2026, 11, 25, 0, 0)), utc(2026, 11, 27, 0, 0));
    // Day-of-week with a star step is "unrestricted" (vixie cron): both must match.
    EXPECT_EQ(next("0 0 1 * *", utc(2026, 11, 25, 0, 0)), utc(2026, 12, 1, 0, 0));
}

TEST(CronSchedule, LeapDayAndImpossibleDates) {
    EXPECT_EQ(next("0 0 29 2 *", utc(2026, 3, 1, 0, 0)), utc(2028, 2, 29, 0, 0));
    EXPECT_FALSE(CronSchedule::parse("0 0 30 2 *").next_after(utc(2026, 1, 1, 0, 0)));
}

TEST(CronSchedule, TimeZones) {
    // 03:00 in Paris is 02:00 UTC in winter and 01:00 UTC in summer.
    auto paris = CronSchedule::parse("CRON_TZ=Europe/Paris 0 3 * * *");
    EXPECT_EQ(*paris.next_after(utc(2026, 11, 25, 12, 0)), utc(2026, 11, 26, 2, 0));
    EXPECT_EQ(*paris.next_after(utc(2026, 7, 1, 12, 0)), utc(2026, 7, 2, 1, 0));
    // New York: 2026-03-08 02:30 does not exist (spring forward); it runs shifted past the gap,
    // and the next day at 02:30 EDT again.
    auto ny = CronSchedule::parse("CRON_TZ=America/New_York 30 2 * * *");
    EXPECT_EQ(*ny.next_after(utc(2026, 3, 8, 5, 0)), utc(2026, 3, 8, 7, 30));   // 03:30 EDT
    EXPECT_EQ(*ny.next_after(utc(2026, 3, 8, 7, 30)), utc(2026, 3, 9, 6, 30));  // 02:30 EDT
    // Fall back: 01:30 exists twice on 2026-11-01; it runs once.
    auto fall = CronSchedule::parse("CRON_TZ=America/New_York 30 1 * * *");
    TP first = *fall.next_after(utc(2026, 11, 1, 4, 0));
    EXPECT_EQ(first, utc(2026, 11, 1, 5, 30));  // 01:30 EDT
    EXPECT_EQ(*fall.next_after(first), utc(2026, 11, 2, 6, 30));  // next day 01:30 EST
    // The daemon's own TZ is untouched afterwards.
    EXPECT_EQ(paris.time_zone(), "Europe/Paris");
}

TEST(CronSchedule, ErrorsNameTheField) {
    EXPECT_THAT(CronSchedule::problem("every 5 minutes"), HasSubstr("expected 5 fields"));
    EXPECT_THAT(CronSchedule::problem("61 * * * *"), HasSubstr("minute: 61 is out of range 0-59"));
    EXPECT_THAT(CronSchedule::problem("0 25 * * *"), HasSubstr("hour"));
    EXPECT_THAT(CronSchedule::problem("0 0 * FOO *"), HasSubstr("month: 'FOO'"));
    EXPECT_THAT(CronSchedule::problem("0 0 L * *"), HasSubstr("not supported"));
    EXPECT_THAT(CronSchedule::problem("0 0 5-1 * *"), HasSubstr("backwards"));
    EXPECT_THAT(CronSchedule::problem("0 ? * * *"), HasSubstr("'?' is only valid"));
    EXPECT_THAT(CronSchedule::problem("CRON_TZ=Mars/Olympus 0 0 * * *"), HasSubstr("unknown time zone"));
    EXPECT_THAT(CronSchedule::problem("CRON_TZ=../../etc/passwd 0 0 * * *"), HasSubstr("unknown time zone"));
    EXPECT_EQ(CronSchedule::problem("0 0 ? * MON"), "");
    EXPECT_THROW(CronSchedule::parse("* *"), Error);
}

// The wall clock jumps (an admin's date -s, a bad NTP step): hourly runs, the last at 11:00.
TEST(CronSchedule, ClockJumpsRunAMissedSlotOnceAndNoSlotTwice) {
    auto hourly = CronSchedule::parse("CRON_TZ=UTC 0 * * * *");
    TP ran = utc(2030, 1, 1, 11, 0);
    // Forward an hour and a half, over 12:00 and 13:00: the armed 12:00 timer fired at once
    // (absolute timer); the run after it is after now, not 13:00.
    EXPECT_EQ(*hourly.next_run(utc(2030, 1, 1, 13, 30), utc(2030, 1, 1, 12, 0)), utc(2030, 1, 1, 14, 0));
    // Back an hour, before the 11:00 run: 11:00 is not run again; the next is 12:00.
    EXPECT_EQ(*hourly.next_run(utc(2030, 1, 1, 10, 0, 1), ran), utc(2030, 1, 1, 12, 0));
    // No jump: the next slot after the one that ran, even when the timer fired a little early.
    EXPECT_EQ(*hourly.next_run(utc(2030, 1, 1, 10, 59, 59), ran), utc(2030, 1, 1, 12, 0));
    EXPECT_EQ(*hourly.next_run(utc(2030, 1, 1, 11, 0, 1), ran), utc(2030, 1, 1, 12, 0));
    // Never ran yet (epoch): the first slot after now.
    EXPECT_EQ(*hourly.next_run(utc(2030, 1, 1, 9, 10), TP{}), utc(2030, 1, 1, 10, 0));
}

}  // namespace
}  // namespace pmd
