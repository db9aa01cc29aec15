// pmctl reset NAME|all: restart and unstable-restart counts back to 0 (PM2's reset), so `ls`
// counts from now on, e.g. after fixing what made an app crash.
#include <iostream>
#include <memory>

#include "ctl/ctl_command.h"
#include "ctl/god_client.h"

namespace pmd {

CtlCommand add_reset_command(CLI::App& cli) {
    auto name = std::make_shared<std::string>();
    auto* sub = cli.add_subcommand("reset", "Set an app's (or every app's) restart counters back to 0 (PM2's reset)");
    sub->add_option("name", *name, "App name, or 'all'")->required()->type_name("APP|all");
    return {sub, [name](const BusChoice& bus) {
                GodClient client(bus);
                auto apps = client.reset_counters(*name);
                for (const auto& app : apps) std::cout << "Reset the counters of " << app << "\n";
                if (apps.empty()) std::cout << "No app to reset\n";
                return 0;
            }};
}

}  // namespace pmd
