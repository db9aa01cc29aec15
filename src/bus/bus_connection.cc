#include "bus/bus_connection.h"

#include <poll.h>
#include <sys/epoll.h>

#include <limits>

namespace pmd {

BusConnection::BusConnection(EventLoop& loop, std::unique_ptr<sdbus::IConnection> connection)
    : connection_(std::move(connection)) {
    auto poll_data = connection_->getEventLoopPollData();
    io_ = loop.add_io(poll_data.fd, static_cast<uint32_t>(poll_data.events), [this](uint32_t) { dispatch(); });
    timer_ = loop.add_timer(std::chrono::microseconds(0), [this] { dispatch(); });
    timer_.set_enabled(false);
    io_.set_prepare([this] { refresh(); });
}

void BusConnection::refresh() {
    auto poll_data = connection_->getEventLoopPollData();
    // poll(2) and epoll share the values of POLLIN/POLLOUT/POLLPRI.
    io_.set_io_events(static_cast<uint32_t>(poll_data.events) & (EPOLLIN | EPOLLOUT | EPOLLPRI));
    if (poll_data.timeout_usec == std::numeric_limits<uint64_t>::max()) timer_.set_enabled(false);
    else timer_.set_time_usec(poll_data.timeout_usec);
}

void BusConnection::dispatch() {
    while (connection_->processPendingRequest()) {
    }
}

}  // namespace pmd
