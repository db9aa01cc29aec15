// BusConnection drives an sdbus-c++ connection from the daemon's sd-event loop. sdbus-c++ 1.2
// cannot attach to sd-event, so before every poll the loop asks the connection what it waits
// for (getEventLoopPollData: fd, events, timeout) and dispatches with processPendingRequest()
// when that fd or timeout fires. No second thread, no polling interval.
#pragma once

#include <sdbus-c++/IConnection.h>

#include <memory>

#include "event/event_loop.h"

namespace pmd {

class BusConnection {
public:
    BusConnection(EventLoop& loop, std::unique_ptr<sdbus::IConnection> connection);
    sdbus::IConnection& get() { return *connection_; }

private:
    void refresh();
    void dispatch();

    std::unique_ptr<sdbus::IConnection> connection_;
    EventSource io_;
    EventSource timer_;
};

}  // namespace pmd
