// Signals by name ("SIGUSR2", "USR2", "usr2") or number ("12"), for pmctl, app files and the bus.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pmd {

// nullopt for anything that is not a real signal number 1..SIGRTMAX.
std::optional<int> parse_signal(std::string_view text);
// "SIGTERM"; "SIG42" for unnamed real-time signals.
std::string signal_name(int signal);
// True for 1..SIGRTMAX.
bool is_valid_signal(int signal);

}  // namespace pmd
