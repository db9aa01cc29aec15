// pmctl startup / unstartup: PM2 writes an init script; pmd is a systemd service already, so
// these say which systemctl and loginctl commands do it. Nothing is run: enabling a service is
// the admin's decision, made with the admin's own tools.
#include <iostream>
#include <memory>

#include "ctl/ctl_command.h"

namespace pmd {
namespace {

CtlCommand advice(CLI::App& cli, const char* verb, const char* help, const char* text) {
    auto platform = std::make_shared<std::string>();
    auto* sub = cli.add_subcommand(verb, help);
    sub->add_option("platform", *platform, "PM2's init system argument (systemd, upstart...): accepted and ignored");
    // The option writes into *platform when the line is parsed: the command keeps it alive.
    return {sub, [text, platform](const BusChoice&) {
                std::cout << text;
                return 0;
            }};
}

}  // namespace

CtlCommand add_startup_command(CLI::App& cli) {
    return advice(cli, "startup", "Print how to start pmd at boot (systemctl enable); runs nothing",
                  "pmd is a systemd service: there is no init script to generate. To start it at boot, and now:\n"
                  "  sudo systemctl enable --now pmd\n"
                  "For your own pmd on your session bus (pmctl --user):\n"
                  "  systemctl --user enable --now pmd\n"
                  "  sudo loginctl enable-linger $USER   # run it without a login session, from boot\n"
                  "Then 'pmctl save' keeps the running apps for the next start (PM2's startup + save).\n");
}

CtlCommand add_unstartup_command(CLI::App& cli) {
    return advice(cli, "unstartup", "Print how to stop pmd starting at boot (systemctl disable); runs nothing",
                  "To stop pmd starting at boot (it and its apps keep running until then):\n"
                  "  sudo systemctl disable pmd\n"
                  "For your own pmd:\n"
                  "  systemctl --user disable pmd\n"
                  "  sudo loginctl disable-linger $USER\n"
                  "'systemctl disable --now pmd' also stops pmd, and every app with it.\n");
}

}  // namespace pmd
