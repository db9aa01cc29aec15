// The bus boundary for errors: every pmd::Error becomes a named D-Bus error
// (org.pmd.God1.Error.<Kind>) with its human message, and nothing else ever escapes a method
// handler: an unexpected exception is answered as org.pmd.God1.Error.Failed, never a crash.
#pragma once

#include <sdbus-c++/Error.h>

#include <exception>
#include <functional>
#include <string>
#include <utility>

#include "base/error.h"

namespace pmd {

inline constexpr const char* kErrorPrefix = "org.pmd.God1.Error.";

sdbus::Error to_bus_error(const Error& error);
// Maps whatever is being thrown right now; for use in a catch (...) block.
sdbus::Error current_exception_to_bus_error();

// Runs a method body and rethrows anything it throws as an sdbus::Error.
template <typename Body>
auto guarded(Body&& body) -> decltype(body()) {
    try {
        return std::forward<Body>(body)();
    } catch (...) {
        throw current_exception_to_bus_error();
    }
}

// Sends what the daemon volunteers (signals, replies to calls that finish later). These run
// inside the Manager's own work: when the connection has just failed, the send fails and is
// dropped here (the connection is being replaced, see BusConnection), and the work goes on.
void send_quietly(const char* what, const std::function<void()>& send) noexcept;

}  // namespace pmd
