// Which bus to talk on, shared by pmd and pmctl: --system (default), --user, --bus ADDRESS,
// and for pmctl -H [user@]host (the remote host's system bus over SSH, like systemctl -H).
#pragma once

#include <sdbus-c++/IConnection.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace pmd {

struct BusChoice {
    bool user = false;
    std::string address;
    std::string host;
    // pmctl --timeout: how long connecting and each call may take (unset: pmctl's defaults).
    std::optional<std::chrono::milliseconds> call_timeout;

    // Throws sdbus::Error with the bus library's message when the bus is unreachable.
    std::unique_ptr<sdbus::IConnection> connect() const;
    // For an address: empty when its socket opens, else why not (strerror). sdbus-c++ 1.2
    // leaks its sd_bus when a bus at an address cannot be opened, so connect() is called only
    // after this said yes (pmctl once, pmd on every reconnection attempt). Other buses: empty.
    std::string address_open_error() const;
    std::string describe() const;
};

}  // namespace pmd
