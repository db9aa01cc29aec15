// The daemon's settings as a pmd.toml would say them: what `pmctl report` shows as the
// effective configuration (the file's values over the built-in ones, pmd's options over both).
#pragma once

#include <string>

#include "config/daemon_config.h"

namespace pmd {

// Every top-level setting, then [defaults] with the keys that differ from AppSpec{}'s.
std::string daemon_config_text(const DaemonConfig& config);

}  // namespace pmd
