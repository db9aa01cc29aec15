#include "bus/bus_connection.h"

#include <poll.h>
#include <sys/epoll.h>

#include <limits>

#include <sdbus-c++/Error.h>

namespace pmd {

BusConnection::BusConnection(EventLoop& loop, std::unique_ptr<sdbus::IConnection> connection, LostHandler on_lost)
    : loop_(loop), connection_(std::move(connection)), on_lost_(std::move(on_lost)) {
    auto poll_data = connection_->getEventLoopPollData();
    io_ = loop.add_io(poll_data.fd, static_cast<uint32_t>(poll_data.events), [this](uint32_t) { dispatch(); });
    timer_ = loop.add_timer(std::chrono::microseconds(0), [this] { dispatch(); });
    timer_.set_enabled(false);
    io_.set_priority(EventPriority::Bus);
    timer_.set_priority(EventPriority::Bus);
    io_.set_prepare([this] { refresh(); });
}

void BusConnection::refresh() {
    if (lost_) return;
    try {
        auto poll_data = connection_->getEventLoopPollData();
        // poll(2) and epoll share the values of POLLIN/POLLOUT/POLLPRI.
        io_.set_io_events(static_cast<uint32_t>(poll_data.events) & (EPOLLIN | EPOLLOUT | EPOLLPRI));
        if (poll_data.timeout_usec == std::numeric_limits<uint64_t>::max()) timer_.set_enabled(false);
        else timer_.set_time_usec(poll_data.timeout_usec);
    } catch (const sdbus::Error& e) {
        lose(e.getMessage());
    }
}

void BusConnection::dispatch() {
    if (lost_) return;
    try {
        while (connection_->processPendingRequest()) {
        }
    } catch (const sdbus::Error& e) {
        lose(e.getMessage());
    }
}

// A connection that failed once is not used again: sd-bus closes it for good, and every
// later call would fail the same way on every loop turn.
void BusConnection::lose(const std::string& why) {
    lost_ = true;
    io_.set_enabled(false);
    timer_.set_enabled(false);
    if (!on_lost_) return;
    report_lost_ = loop_.add_defer([this, why] {
        auto handler = std::move(on_lost_);
        handler(why);  // may destroy this object
    });
}

}  // namespace pmd
