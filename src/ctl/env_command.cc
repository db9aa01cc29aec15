// pmctl env NAME [INSTANCE]: the environment an instance's main process runs with, read by pmd
// from /proc (App.Environment), one "KEY: VALUE" a line as `pm2 env ID` prints them.
#include <iostream>
#include <memory>

#include "ctl/ctl_command.h"
#include "ctl/god_client.h"

namespace pmd {

CtlCommand add_env_command(CLI::App& cli) {
    struct Options {
        std::string name;
        uint32_t instance = 0;
    };
    auto options = std::make_shared<Options>();
    auto* sub = cli.add_subcommand("env", "Print the environment of an app instance's running process (PM2's env)");
    sub->add_option("name", options->name, "App name")->required()->type_name("APP");
    sub->add_option("instance", options->instance, "Instance index (default 0)");
    return {sub, [options](const BusChoice& bus) {
                GodClient client(bus);
                for (const auto& entry : client.environment(options->name, options->instance)) {
                    auto eq = entry.find('=');
                    if (eq == std::string::npos) std::cout << entry << ":\n";
                    else std::cout << entry.substr(0, eq) << ": " << entry.substr(eq + 1) << "\n";
                }
                return 0;
            }};
}

}  // namespace pmd
