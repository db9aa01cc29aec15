// pmctl monit: a live dashboard of every app and instance (CPU, memory, restarts, state). It
// subscribes to the apps' PropertiesChanged (Figures, announced once a second by pmd) and to
// AppAdded/AppRemoved; it never polls. Plain ANSI on the alternate screen; q or Ctrl-C quits
// and the terminal is restored, also on SIGTERM.
#pragma once

#include "daemon/bus_choice.h"

namespace pmd {

int run_monit(const BusChoice& bus);

}  // namespace pmd
