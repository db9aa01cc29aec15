#include "daemon/bus_choice.h"

namespace pmd {

std::unique_ptr<sdbus::IConnection> BusChoice::connect() const {
    if (!host.empty()) return sdbus::createRemoteSystemBusConnection(host);
    if (!address.empty()) return sdbus::createSessionBusConnectionWithAddress(address);
    if (user) return sdbus::createSessionBusConnection();
    return sdbus::createSystemBusConnection();
}

std::string BusChoice::describe() const {
    if (!host.empty()) return "the system bus of " + host;
    if (!address.empty()) return "the bus at " + address;
    return user ? "the user (session) bus" : "the system bus";
}

}  // namespace pmd
