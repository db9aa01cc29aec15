// How pmctl reaches pmd's bus within its --timeout: connecting, authenticating and every
// call answered in time, or exit 3 with a message saying which bus did not answer.
#pragma once

#include <sdbus-c++/IConnection.h>

#include <chrono>
#include <memory>

#include "bus/bus_choice.h"

namespace pmd {

// systemctl's default: what a bus call may take before pmctl gives up.
inline constexpr std::chrono::milliseconds kDefaultCallTimeout{25000};

// bus.connect(), bounded by `limit`; the connection's calls default to `limit` too. An
// unreachable bus is a CtlFailure with exit code 3.
// sd-bus waits 90 s for a peer that accepts but never authenticates, and its wait cannot be
// interrupted, so the connection is made on a thread; past the limit pmctl prints why and
// exits 3 without waiting for that thread.
std::unique_ptr<sdbus::IConnection> connect_within(const BusChoice& bus, std::chrono::milliseconds limit);

}  // namespace pmd
