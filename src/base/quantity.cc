#include "base/quantity.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>

namespace pmd {
namespace {

// Reads a non-negative decimal number (with optional fraction) from the front of text.
std::optional<double> take_number(std::string_view& text) {
    size_t i = 0;
    double value = 0;
    bool digits = false;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        value = value * 10 + (text[i] - '0');
        digits = true;
        ++i;
    }
    if (i < text.size() && text[i] == '.') {
        ++i;
        double scale = 0.1;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
            value += (text[i] - '0') * scale;
            scale /= 10;
            digits = true;
            ++i;
        }
    }
    if (!digits) return std::nullopt;
    text.remove_prefix(i);
    return value;
}

std::string_view take_unit(std::string_view& text) {
    size_t i = 0;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    auto unit = text.substr(0, i);
    text.remove_prefix(i);
    return unit;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    if (text.empty()) return std::nullopt;
    double total_ms = 0;
    bool first = true;
    while (!text.empty()) {
        auto number = take_number(text);
        if (!number) return std::nullopt;
        auto unit = lower(take_unit(text));
        double factor;
        if (unit.empty()) {
            // A bare number is milliseconds, but only on its own: "1m30" is ambiguous.
            if (!first || !text.empty()) return std::nullopt;
            factor = 1;
        } else if (unit == "ms") {
            factor = 1;
        } else if (unit == "s" || unit == "sec") {
            factor = 1000;
        } else if (unit == "m" || unit == "min") {
            factor = 60'000;
        } else if (unit == "h") {
            factor = 3'600'000;
        } else if (unit == "d") {
            factor = 86'400'000;
        } else {
            return std::nullopt;
        }
        total_ms += *number * factor;
        first = false;
    }
    if (total_ms > static_cast<double>(std::numeric_limits<int64_t>::max() / 2)) return std::nullopt;
    return std::chrono::milliseconds(static_cast<int64_t>(std::llround(total_ms)));
}

std::optional<uint64_t> parse_size(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    auto number = take_number(text);
    if (!number) return std::nullopt;
    auto unit = lower(take_unit(text));
    if (!text.empty()) return std::nullopt;
    double factor;
    if (unit.empty() || unit == "b") factor = 1;
    else if (unit == "k" || unit == "kb" || unit == "kib") factor = 1024.0;
    else if (unit == "m" || unit == "mb" || unit == "mib") factor = 1024.0 * 1024;
    else if (unit == "g" || unit == "gb" || unit == "gib") factor = 1024.0 * 1024 * 1024;
    else if (unit == "t" || unit == "tb" || unit == "tib") factor = 1024.0 * 1024 * 1024 * 1024;
    else return std::nullopt;
    double bytes = *number * factor;
    if (bytes >= 1.8e19) return std::nullopt;
    return static_cast<uint64_t>(std::llround(bytes));
}

std::string format_duration(std::chrono::milliseconds d) {
    auto ms = d.count();
    char buf[64];
    if (ms < 1000) std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ms));
    else if (ms < 60'000) std::snprintf(buf, sizeof buf, "%.3gs", ms / 1000.0);
    else if (ms < 3'600'000) std::snprintf(buf, sizeof buf, "%lldm%llds", static_cast<long long>(ms / 60'000), static_cast<long long>(ms % 60'000 / 1000));
    else if (ms < 86'400'000) std::snprintf(buf, sizeof buf, "%lldh%lldm", static_cast<long long>(ms / 3'600'000), static_cast<long long>(ms % 3'600'000 / 60'000));
    else std::snprintf(buf, sizeof buf, "%lldd%lldh", static_cast<long long>(ms / 86'400'000), static_cast<long long>(ms % 86'400'000 / 3'600'000));
    return buf;
}

std::string format_size(uint64_t bytes) {
    static const char* units[] = {"B", "K", "M", "G", "T"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    char buf[32];
    if (unit == 0) std::snprintf(buf, sizeof buf, "%lluB", static_cast<unsigned long long>(bytes));
    else std::snprintf(buf, sizeof buf, value < 10 ? "%.1f%s" : "%.0f%s", value, units[unit]);
    return buf;
}

}  // namespace pmd
