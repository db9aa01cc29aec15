// `pmctl import`: a PM2 ecosystem file (as JSON) to a pmd app file. What maps is converted;
// what does not is listed, never silently dropped.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace pmd {

struct ImportResult {
    std::string toml;                // an app file; the notes are repeated in it as comments
    std::vector<std::string> notes;  // "not converted: apps[2].pmx (no equivalent in pmd)"
};

// What the conversion may look at besides the file, to decide what PM2 would decide when it
// starts the app: whether a script without a known extension is a binary (run as is) or text
// (run with node), and where a bare command name is on PATH.
struct ImportContext {
    std::filesystem::path base_dir;  // the ecosystem file's directory: relative cwd values start there
    std::string path_env;            // where bare command names are looked for; empty = no lookup
    std::string home;                // expands "~/" in log and pid paths as PM2 does; empty = left as is
};

// The context of the calling user: base_dir as given, the PATH pmd gives apps, HOME from the environment.
ImportContext import_context_for(const std::filesystem::path& base_dir);

// Accepts {"apps": [...]} (module.exports of ecosystem.config.js; PM2 also reads "pm2" there),
// a bare array of apps, or a single app object. Throws Error(InvalidSpec) for malformed JSON
// or a file with no app.
ImportResult import_ecosystem_json(std::string_view json, const ImportContext& context = {});

// Evaluates ecosystem.config.js (CommonJS or ESM) with node and returns its export as JSON,
// as PM2 itself does by require()-ing it. Throws Error(Failed) when node is not installed or
// the file does not evaluate, with node's own message.
std::string ecosystem_js_to_json(const std::filesystem::path& path, const std::string& node_binary = "node");

}  // namespace pmd
