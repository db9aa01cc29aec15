// `pmctl completion bash|zsh|fish|json`: hidden; prints a completion script generated from the
// very App the parser uses (the build installs its output), or the model itself as JSON for
// the tests that hold the man page, README and --help to the parser.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace pmd {

struct CompletionRequest {
    CLI::App* command = nullptr;
    std::string shell;
};

// Registers the hidden subcommand on `cli`; the request lives as long as the App.
CompletionRequest& add_completion_command(CLI::App& cli);
// The script for request.shell, on stdout. `takes_app_command`: the commands that accept `--`.
int run_completion(const CLI::App& cli, const CompletionRequest& request, const std::vector<std::string>& takes_app_command);

}  // namespace pmd
