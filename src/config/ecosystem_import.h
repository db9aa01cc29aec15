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

// Accepts {"apps": [...]} (module.exports of ecosystem.config.js), a bare array of apps, or a
// single app object. Throws Error(InvalidSpec) for malformed JSON or a file with no app.
ImportResult import_ecosystem_json(std::string_view json);

// Evaluates ecosystem.config.js (CommonJS or ESM) with node and returns its export as JSON,
// as PM2 itself does by require()-ing it. Throws Error(Failed) when node is not installed or
// the file does not evaluate, with node's own message.
std::string ecosystem_js_to_json(const std::filesystem::path& path, const std::string& node_binary = "node");

}  // namespace pmd
