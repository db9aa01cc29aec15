#include "config/cron_schedule.h"

#include <sys/stat.h>

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <sstream>
#include <vector>

#include "base/error.h"

namespace pmd {
namespace {

[[noreturn]] void bad(const std::string& message) { throw Error(Error::Kind::InvalidSpec, message); }

struct FieldInfo {
    const char* name;
    int min;
    int max;
    const char* const* names;  // min-based three-letter names, or null
    int name_count;
};

const char* const kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
const char* const kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

int parse_value(std::string_view text, const FieldInfo& f) {
    if (text.empty()) bad(std::string(f.name) + ": a value is missing");
    if (std::isalpha(static_cast<unsigned char>(text[0]))) {
        if (f.names && text.size() == 3) {
            std::string lower;
            for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            for (int i = 0; i < f.name_count; ++i)
                if (lower == f.names[i]) return f.min + i;
        }
        bad(std::string(f.name) + ": '" + std::string(text) + "' is not a valid value" +
            (text.find_first_of("LW#") != std::string_view::npos ? " (L, W and # are not supported)" : ""));
    }
    int value = 0;
    for (char c : text) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
            bad(std::string(f.name) + ": '" + std::string(text) + "' is not a number" +
                (c == 'L' || c == 'W' || c == '#' ? " (L, W and # are not supported)" : ""));
        value = value * 10 + (c - '0');
        if (value > 1000) break;
    }
    if (value < f.min || value > f.max)
        bad(std::string(f.name) + ": " + std::string(text) + " is out of range " + std::to_string(f.min) + "-" +
            std::to_string(f.max));
    return value;
}

// One field: a comma list of `*`, `?`, `v`, `a-b`, each optionally `/step`.
uint64_t parse_field(std::string_view text, const FieldInfo& f, bool question_allowed) {
    uint64_t mask = 0;
    size_t start = 0;
    for (;;) {
        size_t comma = text.find(',', start);
        std::string_view part = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (part.empty()) bad(std::string(f.name) + ": empty list element in '" + std::string(text) + "'");
        int step = 1;
        if (auto slash = part.find('/'); slash != std::string_view::npos) {
            FieldInfo step_info{f.name, 1, f.max, nullptr, 0};
            step = parse_value(part.substr(slash + 1), step_info);
            part = part.substr(0, slash);
        }
        int lo = f.min, hi = f.max;
        if (part == "*" || (part == "?" && question_allowed)) {
        } else if (part == "?") {
            bad(std::string(f.name) + ": '?' is only valid for day-of-month and day-of-week");
        } else if (auto dash = part.find('-'); dash != std::string_view::npos) {
            lo = parse_value(part.substr(0, dash), f);
            hi = parse_value(part.substr(dash + 1), f);
            if (hi < lo) bad(std::string(f.name) + ": range " + std::string(part) + " goes backwards");
        } else {
            lo = parse_value(part, f);
            // "a/n" means a, a+n, ... up to the maximum (croner, cronie).
            hi = step > 1 ? f.max : lo;
        }
        for (int v = lo; v <= hi; v += step) mask |= uint64_t{1} << v;
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return mask;
}

bool zone_exists(const std::string& zone) {
    if (zone.empty() || zone[0] == '/' || zone.find("..") != std::string::npos) return false;
    const char* dir = std::getenv("TZDIR");
    std::string path = std::string(dir && *dir ? dir : "/usr/share/zoneinfo") + "/" + zone;
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Sets TZ for the lifetime of the object. setenv/tzset are not thread-safe, but pmd runs one
// thread that touches the environment (the event loop); the metrics HTTP thread only renders
// snapshots, and the old value is restored before the loop goes on.
class TzScope {
public:
    explicit TzScope(const std::string& zone) : active_(!zone.empty()) {
        if (!active_) return;
        if (const char* old = std::getenv("TZ")) saved_ = old;
        setenv("TZ", zone.c_str(), 1);
        tzset();
    }
    ~TzScope() {
        if (!active_) return;
        if (saved_) setenv("TZ", saved_->c_str(), 1);
        else unsetenv("TZ");
        tzset();
    }
    TzScope(const TzScope&) = delete;
    TzScope& operator=(const TzScope&) = delete;

private:
    bool active_;
    std::optional<std::string> saved_;
};

}  // namespace

CronSchedule CronSchedule::parse(std::string_view text) {
    CronSchedule s;
    std::istringstream in{std::string(text)};
    std::vector<std::string> fields;
    for (std::string word; in >> word;) fields.push_back(word);
    if (!fields.empty() && fields[0].rfind("CRON_TZ=", 0) == 0) {
        s.tz_ = fields[0].substr(8);
        if (!zone_exists(s.tz_))
            bad("unknown time zone '" + s.tz_ + "' in CRON_TZ= (names as in /usr/share/zoneinfo, e.g. Europe/Paris)");
        fields.erase(fields.begin());
    }
    if (fields.size() != 5 && fields.size() != 6)
        bad("expected 5 fields (minute hour day month weekday) or 6 (with seconds first), got " +
            std::to_string(fields.size()));
    size_t i = 0;
    if (fields.size() == 6) s.seconds_ = parse_field(fields[i++], {"second", 0, 59, nullptr, 0}, false);
    else s.seconds_ = 1;  // second 0
    s.minutes_ = parse_field(fields[i++], {"minute", 0, 59, nullptr, 0}, false);
    s.hours_ = parse_field(fields[i++], {"hour", 0, 23, nullptr, 0}, false);
    s.day_star_ = fields[i][0] == '*' || fields[i][0] == '?';
    s.days_ = parse_field(fields[i++], {"day-of-month", 1, 31, nullptr, 0}, true);
    s.months_ = parse_field(fields[i++], {"month", 1, 12, kMonthNames, 12}, false);
    s.weekday_star_ = fields[i][0] == '*' || fields[i][0] == '?';
    uint64_t weekdays = parse_field(fields[i++], {"day-of-week", 0, 7, kDayNames, 7}, true);
    if (weekdays & (uint64_t{1} << 7)) weekdays = (weekdays & ~(uint64_t{1} << 7)) | 1;  // 7 = Sunday
    s.weekdays_ = weekdays;
    return s;
}

std::string CronSchedule::problem(std::string_view text) {
    try {
        parse(text);
        return "";
    } catch (const Error& e) {
        return e.what();
    }
}

bool CronSchedule::day_matches(int mday, int wday) const {
    bool dom = days_ & (uint64_t{1} << mday);
    bool dow = weekdays_ & (uint64_t{1} << wday);
    // Vixie cron: if either field is unrestricted (starts with *), both must match (the
    // unrestricted one always does); if both are restricted, either suffices.
    if (day_star_ || weekday_star_) return dom && dow;
    return dom || dow;
}

std::optional<CronSchedule::TimePoint> CronSchedule::next_after(TimePoint after) const {
    TzScope zone(tz_);
    time_t first = static_cast<time_t>(after.time_since_epoch().count()) + 1;
    struct tm local;
    if (!localtime_r(&first, &local)) return std::nullopt;
    // Search in wall-clock time: timegm() on local fields gives a plain seconds count for
    // field arithmetic without DST; mktime() turns a matching wall time into an instant.
    time_t civil = timegm(&local);
    const time_t limit = civil + time_t{8} * 366 * 86400;
    while (civil < limit) {
        struct tm c;
        gmtime_r(&civil, &c);
        if (!(months_ & (uint64_t{1} << (c.tm_mon + 1)))) {
            c.tm_mon += 1;
            c.tm_mday = 1;
            c.tm_hour = c.tm_min = c.tm_sec = 0;
        } else if (!day_matches(c.tm_mday, c.tm_wday)) {
            c.tm_mday += 1;
            c.tm_hour = c.tm_min = c.tm_sec = 0;
        } else if (!(hours_ & (uint64_t{1} << c.tm_hour))) {
            c.tm_hour += 1;
            c.tm_min = c.tm_sec = 0;
        } else if (!(minutes_ & (uint64_t{1} << c.tm_min))) {
            c.tm_min += 1;
            c.tm_sec = 0;
        } else if (!(seconds_ & (uint64_t{1} << c.tm_sec))) {
            c.tm_sec += 1;
        } else {
            struct tm wall = c;
            wall.tm_isdst = -1;
            time_t at = mktime(&wall);
            // A repeated wall time (fall back) may map to its earlier occurrence: already past.
            if (at != static_cast<time_t>(-1) && at >= first) return TimePoint(std::chrono::seconds(at));
            c.tm_sec += 1;
        }
        civil = timegm(&c);
    }
    return std::nullopt;
}

}  // namespace pmd
