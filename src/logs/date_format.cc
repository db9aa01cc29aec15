#include "logs/date_format.h"

#include <ctime>
#include <cstdio>
#include <string_view>
#include <utility>

namespace pmd {

DateFormat::DateFormat(const std::string& f) {
    // Longest tokens first, so "YYYY" is not read as two "YY".
    static const std::pair<std::string_view, Token> kTokens[] = {
        {"YYYY", Token::Year4}, {"SSS", Token::Millis3}, {"YY", Token::Year2},   {"MM", Token::Month2},
        {"DD", Token::Day2},    {"HH", Token::Hour2},    {"hh", Token::Hour12_2}, {"mm", Token::Minute2},
        {"ss", Token::Second2}, {"SS", Token::Millis2},  {"ZZ", Token::Offset},  {"M", Token::Month},
        {"D", Token::Day},      {"H", Token::Hour},      {"h", Token::Hour12},   {"m", Token::Minute},
        {"s", Token::Second},   {"S", Token::Millis1},   {"A", Token::AmPmUpper}, {"a", Token::AmPmLower},
        {"Z", Token::OffsetColon}};
    auto literal = [&](std::string_view text) {
        if (!parts_.empty() && parts_.back().token == Token::Literal) parts_.back().literal.append(text);
        else parts_.push_back({Token::Literal, std::string(text)});
    };
    std::string_view rest(f);
    while (!rest.empty()) {
        if (rest.front() == '[') {
            size_t close = rest.find(']');
            if (close != std::string_view::npos) {
                literal(rest.substr(1, close - 1));
                rest.remove_prefix(close + 1);
                continue;
            }
        }
        bool matched = false;
        for (const auto& [text, token] : kTokens) {
            if (rest.starts_with(text)) {
                parts_.push_back({token, {}});
                rest.remove_prefix(text.size());
                matched = true;
                break;
            }
        }
        if (!matched) {
            literal(rest.substr(0, 1));
            rest.remove_prefix(1);
        }
    }
}

void DateFormat::append(std::string& out, std::chrono::system_clock::time_point t) const {
    using namespace std::chrono;
    auto since = t.time_since_epoch();
    time_t sec = static_cast<time_t>(duration_cast<seconds>(since).count());
    int ms = static_cast<int>(duration_cast<milliseconds>(since).count() % 1000);
    if (sec != cached_second_) {
        localtime_r(&sec, &cached_tm_);
        cached_second_ = sec;
    }
    const struct tm& tm = cached_tm_;
    char buf[16];
    auto num = [&](int v, int width) {
        int n = std::snprintf(buf, sizeof buf, "%0*d", width, v);
        out.append(buf, static_cast<size_t>(n));
    };
    auto offset = [&](bool colon) {
        long off = tm.tm_gmtoff;
        out.push_back(off < 0 ? '-' : '+');
        if (off < 0) off = -off;
        num(static_cast<int>(off / 3600), 2);
        if (colon) out.push_back(':');
        num(static_cast<int>(off / 60 % 60), 2);
    };
    int h12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
    for (const auto& p : parts_) {
        switch (p.token) {
            case Token::Literal: out.append(p.literal); break;
            case Token::Year4: num(tm.tm_year + 1900, 4); break;
            case Token::Year2: num((tm.tm_year + 1900) % 100, 2); break;
            case Token::Month2: num(tm.tm_mon + 1, 2); break;
            case Token::Month: num(tm.tm_mon + 1, 1); break;
            case Token::Day2: num(tm.tm_mday, 2); break;
            case Token::Day: num(tm.tm_mday, 1); break;
            case Token::Hour2: num(tm.tm_hour, 2); break;
            case Token::Hour: num(tm.tm_hour, 1); break;
            case Token::Hour12_2: num(h12, 2); break;
            case Token::Hour12: num(h12, 1); break;
            case Token::Minute2: num(tm.tm_min, 2); break;
            case Token::Minute: num(tm.tm_min, 1); break;
            case Token::Second2: num(tm.tm_sec, 2); break;
            case Token::Second: num(tm.tm_sec, 1); break;
            case Token::Millis3: num(ms, 3); break;
            case Token::Millis2: num(ms / 10, 2); break;
            case Token::Millis1: num(ms / 100, 1); break;
            case Token::AmPmUpper: out.append(tm.tm_hour < 12 ? "AM" : "PM"); break;
            case Token::AmPmLower: out.append(tm.tm_hour < 12 ? "am" : "pm"); break;
            case Token::OffsetColon: offset(true); break;
            case Token::Offset: offset(false); break;
        }
    }
}

}  // namespace pmd
