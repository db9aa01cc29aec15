// What pmd makes of each PM2 ecosystem key: the same key, a pmd key under another name (PM2's
// aliases such as err_file), or nothing, with the reason. Shared by `pmctl import` and by the
// app-file parser, which tells a PM2 user why a familiar key is refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pmd {

// The pmd key a PM2 key becomes ("err_file" → "error_file", "kill_timeout" → "kill_timeout");
// nullopt for keys pmd has no counterpart of (and for env/env_*, which are tables).
std::optional<std::string> pm2_key_in_pmd(std::string_view pm2_key);

// Why a PM2 key has no pmd counterpart ("pmd always stops the whole cgroup"); nullopt when it
// is not a PM2 key pmd knows of.
std::optional<std::string> pm2_key_without_equivalent(std::string_view pm2_key);

}  // namespace pmd
