// A pmctl command that keeps to its own file: it adds its subcommand and options to the parser
// and says what to run once the command line is parsed and the bus is chosen. main.cc has one
// registration line per command and runs whichever was parsed.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "bus/bus_choice.h"

namespace pmd {

struct CtlCommand {
    CLI::App* sub = nullptr;
    std::function<int(const BusChoice&)> run;  // its exit status; throws CtlFailure or pmd::Error
};

// PM2 commands that had no equivalent (each in the file of its name).
CtlCommand add_env_command(CLI::App& cli);        // env_command.cc: pm2 env
CtlCommand add_reset_command(CLI::App& cli);      // reset_command.cc: pm2 reset
CtlCommand add_report_command(CLI::App& cli);     // report_command.cc: pm2 report
CtlCommand add_startup_command(CLI::App& cli);    // startup_command.cc: pm2 startup
CtlCommand add_unstartup_command(CLI::App& cli);  // startup_command.cc: pm2 unstartup

}  // namespace pmd
