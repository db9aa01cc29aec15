#include "base/signal_name.h"

#include <csignal>
#include <cstring>
#include <string.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace pmd {

bool is_valid_signal(int signal) { return signal >= 1 && signal <= SIGRTMAX; }

std::optional<int> parse_signal(std::string_view text) {
    int number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec == std::errc() && end == text.data() + text.size())
        return is_valid_signal(number) ? std::optional<int>(number) : std::nullopt;
    std::string upper(text);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (upper.rfind("SIG", 0) == 0) upper.erase(0, 3);
    for (int s = 1; s < SIGRTMIN; ++s) {
        const char* abbrev = sigabbrev_np(s);
        if (abbrev && upper == abbrev) return s;
    }
    return std::nullopt;
}

std::string signal_name(int signal) {
    const char* abbrev = signal > 0 && signal < SIGRTMIN ? sigabbrev_np(signal) : nullptr;
    return abbrev ? std::string("SIG") + abbrev : "SIG" + std::to_string(signal);
}

}  // namespace pmd
