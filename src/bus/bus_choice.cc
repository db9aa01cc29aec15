#include "bus/bus_choice.h"

#include <systemd/sd-bus.h>

#include <cstring>

namespace pmd {

std::unique_ptr<sdbus::IConnection> BusChoice::connect() const {
    if (!host.empty()) return sdbus::createRemoteSystemBusConnection(host);
    if (!address.empty()) return sdbus::createSessionBusConnectionWithAddress(address);
    if (user) return sdbus::createSessionBusConnection();
    return sdbus::createSystemBusConnection();
}

std::string BusChoice::address_open_error() const {
    // unixexec: would start its program twice.
    if (address.empty() || address.find("unixexec:") != std::string::npos) return "";
    // Closed without a flush: a flush would wait for the peer to authenticate. sd_bus_start
    // only connects the socket; it never waits for the peer.
    std::unique_ptr<sd_bus, decltype(&sd_bus_close_unref)> probe(nullptr, sd_bus_close_unref);
    sd_bus* raw = nullptr;
    int r = sd_bus_new(&raw);
    probe.reset(raw);
    if (r >= 0) r = sd_bus_set_address(raw, address.c_str());
    if (r >= 0) r = sd_bus_set_bus_client(raw, 1);
    if (r >= 0) r = sd_bus_start(raw);
    return r < 0 ? std::strerror(-r) : "";
}

std::string BusChoice::describe() const {
    if (!host.empty()) return "the system bus of " + host;
    if (!address.empty()) return "the bus at " + address;
    return user ? "the user (session) bus" : "the system bus";
}

}  // namespace pmd
