// App files: one or more [[app]] tables, as in /etc/pmd.d/*.toml or `pmctl start apps.toml`.
// Keys follow PM2's ecosystem file where the meaning is the same; docs/config-reference.md
// lists them all.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "spec/app_spec.h"

namespace pmd {

struct AppFileOptions {
    std::string_view profile;    // "production" merges env_production over env, as `pm2 --env production`
    AppSpec defaults;            // starting point of every app ([defaults] of pmd.toml)
    bool allow_no_apps = false;  // a dump of zero apps is fine; an app file without apps is a mistake
    // Dumps only: each app may say `desired_state = "stopped"` (or "online"); the names of the
    // stopped ones are put here. Without it the key is unknown, as in any app file.
    std::set<std::string>* desired_stopped = nullptr;
};

// Reads and decodes `path`. Throws Error(InvalidSpec) listing every problem of the file, each as
// "path:line:column: field 'key': ..."; Error(Failed) when the file cannot be read.
std::vector<AppSpec> load_app_file(const std::filesystem::path& path, const AppFileOptions& options = {});

// The same from text: `source_name` prefixes messages, `base_dir` anchors relative cwd.
std::vector<AppSpec> parse_app_text(std::string_view toml_text, const std::string& source_name,
                                    const std::filesystem::path& base_dir, const AppFileOptions& options = {});

// Reads a whole file as text; Error(Failed) naming the file and the reason otherwise.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace pmd
