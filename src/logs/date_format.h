// DateFormat: PM2's log_date_format (moment.js tokens) compiled once and applied to each line's
// time. Supported: YYYY YY MM M DD D HH H hh h mm m ss s SSS SS S A a Z ZZ and [literal] text;
// any other character is copied. Local time, as PM2 writes it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace pmd {

class DateFormat {
public:
    DateFormat() = default;
    explicit DateFormat(const std::string& moment_format);

    bool empty() const { return parts_.empty(); }
    // Appends the formatted time to out.
    void append(std::string& out, std::chrono::system_clock::time_point t) const;

private:
    enum class Token { Literal, Year4, Year2, Month2, Month, Day2, Day, Hour2, Hour, Hour12_2, Hour12, Minute2, Minute,
                       Second2, Second, Millis3, Millis2, Millis1, AmPmUpper, AmPmLower, OffsetColon, Offset };
    struct Part {
        Token token;
        std::string literal;
    };
    std::vector<Part> parts_;
    // Formatting localtime_r for every line is the cost of a log line; cache it per second.
    mutable time_t cached_second_ = -1;
    mutable struct tm cached_tm_ {};
};

}  // namespace pmd
