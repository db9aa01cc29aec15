// CronSchedule: a parsed cron_restart expression and "when is the next run after T". Pure: the
// caller passes the time (tests inject any clock; the Manager passes the real one), nothing
// here reads a clock or arms a timer.
//
// Syntax (cronie/croner, what PM2 users write):
//   [CRON_TZ=Zone/Name ]   [second] minute hour day-of-month month day-of-week
// 5 fields, or 6 with seconds first. Each field: `*`, `?` (= `*`), numbers, ranges `a-b`, steps
// `*/n` and `a-b/n`, lists `a,b-c`; months JAN-DEC, weekdays SUN-SAT (0 and 7 are Sunday).
// When both day-of-month and day-of-week are restricted, a day matching either runs (cron's
// rule). Without CRON_TZ the daemon's local time zone is used.
//
// Time zones: libstdc++ 12 has no std::chrono::zoned_time, so wall-clock conversions go
// through mktime/localtime_r with TZ swapped for the call (see the .cc: pmd is single-threaded,
// the swap is restored before returning). A wall time that does not exist (a spring-forward
// gap) runs at the first instant after the gap; one that exists twice (fall back) runs once,
// at its first occurrence.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pmd {

class CronSchedule {
public:
    using Clock = std::chrono::system_clock;
    using TimePoint = std::chrono::time_point<Clock, std::chrono::seconds>;

    // Throws Error(InvalidSpec) with a message naming the bad field.
    static CronSchedule parse(std::string_view text);
    // Empty when the text parses; the error message otherwise (for config/ file:line errors).
    static std::string problem(std::string_view text);

    // The first run strictly after `after`; nullopt if there is none in the next 8 years
    // (e.g. "0 0 30 2 *").
    std::optional<TimePoint> next_after(TimePoint after) const;
    // The run to arm next, given the wall clock now and the run that fired last (epoch:
    // none): the first slot after both. The timer is absolute (CLOCK_REALTIME), so a clock
    // that jumps forward over slots fires the first one at once and the next is after now:
    // the missed slots run once in all; a clock that jumps back keeps the armed slot, and a
    // run is never armed before the last one, so no slot runs twice.
    std::optional<TimePoint> next_run(TimePoint now, TimePoint last_run) const {
        return next_after(std::max(now, last_run));
    }

    const std::string& time_zone() const { return tz_; }  // empty = local

private:
    // Bit n set = value n allowed.
    uint64_t seconds_ = 0;
    uint64_t minutes_ = 0;
    uint64_t hours_ = 0;
    uint64_t days_ = 0;      // 1..31
    uint64_t months_ = 0;    // 1..12
    uint64_t weekdays_ = 0;  // 0 = Sunday
    bool day_star_ = true;      // day-of-month began with * or ? (vixie cron's DOM_STAR)
    bool weekday_star_ = true;  // day-of-week began with * or ?
    std::string tz_;

    bool day_matches(int mday, int wday) const;
};

}  // namespace pmd
