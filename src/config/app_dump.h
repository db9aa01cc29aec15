// The dump `pmctl save` writes and `resurrect` reads: an app file whose every app is spelled
// out completely, so parse_app_text() gives back specs equal to the ones dumped.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "spec/app_spec.h"

namespace pmd {

// TOML text with one [[app]] per spec. Fields equal to AppSpec{}'s are left out, so read the
// dump without [defaults] (AppFileOptions{}): a dump describes apps as they ran, not as
// today's defaults would make them.
// `stopped` names the apps someone stopped: each gets `desired_state = "stopped"`, so resurrect
// adds it without starting it (PM2 keeps a saved stopped app stopped).
std::string dump_apps(const std::vector<AppSpec>& apps, const std::set<std::string>& stopped = {});

// Reads a dump: no [defaults], no profile, no directory to resolve against (dumps hold absolute
// cwds). A missing file is an empty set: nothing was saved yet.
std::vector<AppSpec> load_dump(const std::filesystem::path& path);
// `stopped`, when given, receives the names of the apps whose desired state is stopped.
std::vector<AppSpec> parse_dump_text(std::string_view text, const std::string& source_name,
                                     std::set<std::string>* stopped = nullptr);
std::vector<AppSpec> load_dump(const std::filesystem::path& path, std::set<std::string>* stopped);

// Whether the dump writes `key` of spec/app_keys.h (a unit test holds every key to it).
bool app_dump_writes(std::string_view key);

// "1m30s", "1s600ms", "0ms": a duration text parse_duration() reads back to the same value.
std::string exact_duration_text(Millis d);
// "512M", "1536K", "1000": a size text parse_size() reads back to the same value.
std::string exact_size_text(uint64_t bytes);

}  // namespace pmd
