#include "ctl/completion_command.h"

#include <iostream>

#include "ctl/completion_model.h"

namespace pmd {

CompletionRequest& add_completion_command(CLI::App& cli) {
    static CompletionRequest request;  // one App per run of pmctl
    request.command = cli.add_subcommand("completion", "Print the completion script for a shell");
    request.command->group("");  // hidden: packages and the build run it, people need not
    request.command->add_option("shell", request.shell, "bash, zsh, fish, or json (the definition the scripts come from)")
        ->required()
        ->check(CLI::IsMember({"bash", "zsh", "fish", "json"}));
    return request;
}

int run_completion(const CLI::App& cli, const CompletionRequest& request, const std::vector<std::string>& takes_app_command) {
    CompletionModel model = completion_model(cli, takes_app_command);
    if (request.shell == "bash") std::cout << bash_completion(model);
    else if (request.shell == "zsh") std::cout << zsh_completion(model);
    else if (request.shell == "fish") std::cout << fish_completion(model);
    else std::cout << to_json(model).dump(2) << "\n";
    return 0;
}

}  // namespace pmd
