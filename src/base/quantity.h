// Durations ("1600", "5s", "1m30s", "250ms") and sizes ("512M", "1G", "1048576") as users
// write them in app files, on the command line and in bus requests. A bare number is
// milliseconds for durations and bytes for sizes, as in PM2's ecosystem file.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pmd {

// nullopt when the text is not a duration; never throws.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// nullopt when the text is not a size; never throws.
std::optional<uint64_t> parse_size(std::string_view text);

// "1.6s", "250ms", "2m" for messages and tables.
std::string format_duration(std::chrono::milliseconds d);
// "12.5M", "900K", "3.2G" (1024-based) for tables.
std::string format_size(uint64_t bytes);

}  // namespace pmd
