// BusConnection drives an sdbus-c++ connection from the daemon's sd-event loop. sdbus-c++ 1.2
// cannot attach to sd-event, so before every poll the loop asks the connection what it waits
// for (getEventLoopPollData: fd, events, timeout) and dispatches with processPendingRequest()
// when that fd or timeout fires. No second thread, no polling interval. Both sources have the
// loop's highest priority (EventPriority::Bus): a request is served before any other pending work.
//
// When the connection fails (the bus daemon died or closed it), the sources go quiet and
// on_lost runs once, from a deferred event, so its owner may destroy this object there.
#pragma once

#include <sdbus-c++/IConnection.h>

#include <functional>
#include <memory>
#include <string>

#include "event/event_loop.h"

namespace pmd {

class BusConnection {
public:
    using LostHandler = std::function<void(const std::string& why)>;
    BusConnection(EventLoop& loop, std::unique_ptr<sdbus::IConnection> connection, LostHandler on_lost = {});
    sdbus::IConnection& get() { return *connection_; }

private:
    void refresh();
    void dispatch();
    void lose(const std::string& why);

    EventLoop& loop_;
    std::unique_ptr<sdbus::IConnection> connection_;
    LostHandler on_lost_;
    bool lost_ = false;
    EventSource io_;
    EventSource timer_;
    EventSource report_lost_;
};

}  // namespace pmd
