// What shell completion needs to know about pmctl's command line, read from the CLI11 App the
// parser uses (so a completion script cannot offer an option the parser lacks, or miss one
// it has). The value an option or positional takes is told by its type name, which --help
// shows too: APP (an app pmd has), APP|all, SCRIPT (a file or an app), FILE, DIR, USER, HOST,
// SIGNAL; an IsMember check gives a closed list; anything else is free text.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace pmd {

struct CompletionValue {
    std::string kind;  // "", "app", "app_or_all", "script", "file", "dir", "user", "host", "signal", "choices"
    std::vector<std::string> choices;
};

struct CompletionOption {
    std::vector<std::string> shorts;  // "-n"
    std::vector<std::string> longs;   // "--name"
    std::string help;
    bool takes_value = false;
    bool repeatable = false;
    CompletionValue value;
};

struct CompletionPositional {
    std::string name;
    std::string help;
    bool repeats = false;  // takes every word left
    CompletionValue value;
};

struct CompletionCommand {
    std::string name;
    std::vector<std::string> aliases;
    std::string help;
    std::vector<CompletionOption> options;
    std::vector<CompletionPositional> positionals;
    bool takes_app_command = false;  // `-- CMD [ARG...]` follows
};

struct CompletionModel {
    std::string program;
    std::vector<CompletionOption> options;  // before the command
    std::vector<CompletionCommand> commands;
};

// Every subcommand that is not hidden (CLI11: an empty group), with every option and
// positional; `takes_app_command` names the commands that accept `--`.
CompletionModel completion_model(const CLI::App& cli, const std::vector<std::string>& takes_app_command);

// The model as JSON, for tests that compare it with the man page, README and --help.
nlohmann::json to_json(const CompletionModel& model);

std::string bash_completion(const CompletionModel& model);
std::string zsh_completion(const CompletionModel& model);
std::string fish_completion(const CompletionModel& model);

}  // namespace pmd
