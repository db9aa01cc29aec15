// BusSession: pmd's presence on the bus, which can come and go while the apps cannot.
//
// It owns the connection, the objects on it (/org/pmd/God1 and one per app) and the name
// org.pmd.God1. When the bus daemon goes away (killed, restarted, the connection closed),
// the objects are dropped at once and pmd goes on managing every app without a bus: exits are
// handled, logs written, SIGTERM honoured. Meanwhile it connects again, first after 100 ms and
// then at most every 5 s, and on success puts every object back and owns the name again, so a
// client sees the same apps as before. A reconnecting daemon loses nothing that a restarted
// one would have to take back (log pipes, pidfds), which is why pmd does not exit on bus loss.
//
// States: attached (connection + objects, name owned once own_name() ran), or detached with a
// retry timer armed. Only the first attach may throw: pmd does not start without its bus.
#pragma once

#include <sdbus-c++/IConnection.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "bus/bus_connection.h"
#include "bus/manager_object.h"
#include "event/event_loop.h"

namespace pmd {

class BusSession {
public:
    struct Hooks {
        std::function<std::unique_ptr<sdbus::IConnection>()> connect;
        // Runs on every new ManagerObject (e.g. to give it the re-exec step).
        std::function<void(ManagerObject&)> configure;
        // Status changes for the service manager (sd_notify STATUS=).
        std::function<void(const std::string&)> status;
    };
    BusSession(EventLoop& loop, Manager& manager, DeclaredApps* declared, std::string where, Hooks hooks);

    // Connects and registers the objects; throws when the bus cannot be reached.
    void attach();
    // Owns org.pmd.God1, from now on and after every reconnection; throws when it cannot.
    void own_name();
    bool attached() const { return bus_ != nullptr; }

private:
    void connect_objects();
    void detach(const std::string& why);
    void retry();

    EventLoop& loop_;
    Manager& manager_;
    DeclaredApps* declared_;
    std::string where_;
    Hooks hooks_;
    bool owns_name_ = false;
    std::unique_ptr<BusConnection> bus_;
    std::unique_ptr<ManagerObject> object_;
    EventSource retry_timer_;
    std::chrono::milliseconds retry_delay_{0};
};

}  // namespace pmd
