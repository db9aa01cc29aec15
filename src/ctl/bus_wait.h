// pmctl's one way to wait for something pmd or the bus announces: dispatch the connection
// (signals run their handlers) and sleep in poll() on its fd until `done` holds or the
// deadline passes. Nothing is re-checked on a timer: `done` is asked again only after the
// connection delivered something.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <functional>

namespace pmd {

// True once done() holds (it is asked at once, then after each dispatch); false at the deadline.
bool wait_on_bus(sdbus::IConnection& connection, std::chrono::steady_clock::time_point deadline,
                 const std::function<bool()>& done);

}  // namespace pmd
