// How PM2 turns an app's script into a process, decided once at import time so the pmd app
// file says it outright (pmd runs what it is told and picks no interpreter by itself).
// PM2's rules (lib/Common.js, lib/API/interpreter.json):
// - a script with a space is a shell command: bash -c "<script>" (args are dropped);
// - an explicit interpreter is used ("none": the script runs as is);
// - otherwise the extension picks one (.js node, .py python, .sh bash, .ts bun...);
// - otherwise the script file decides: a binary runs as is, anything else with node;
// - a script that is not a file under cwd is looked up on PATH (`script: "npm"`).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pmd {

struct Pm2LaunchInput {
    std::string script;
    std::optional<std::string> interpreter;  // nullopt or "" = none given
    std::filesystem::path cwd;               // where the script is looked for; empty = not inspected
    std::string path_env;                    // PATH for bare names; empty = no lookup
};

struct Pm2Launch {
    enum class Kind { Shell, Direct, Interpreted };
    Kind kind = Kind::Direct;
    std::vector<std::string> shell_command;  // Kind::Shell: {"bash", "-c", script}
    std::string script;                      // Direct/Interpreted: what to write as `script`
    std::string interpreter;                 // Interpreted: "node", "python3"...
    std::string why;                         // a comment for the converted file; empty = obvious
};

Pm2Launch pm2_launch(const Pm2LaunchInput& input);

// PM2's isBinaryFile: a NUL byte (or too many control bytes) in the first 512 bytes.
bool looks_binary(const std::filesystem::path& file);

}  // namespace pmd
