// pmctl monit: a live dashboard of every app and instance (CPU, memory, restarts, state). It
// subscribes to the apps' PropertiesChanged (Figures, announced once a second by pmd while
// watched) and to AppAdded/AppRemoved; it reads Figures again every 30 s only to keep pmd's
// announcements coming (bus/figures_clock.h). Plain ANSI on the alternate screen; q or Ctrl-C quits
// and the terminal is restored, also on SIGTERM.
#pragma once

#include "bus/bus_choice.h"

namespace pmd {

int run_monit(const BusChoice& bus);

}  // namespace pmd
