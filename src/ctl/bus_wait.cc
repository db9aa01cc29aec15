#include "ctl/bus_wait.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

namespace pmd {

bool wait_on_bus(sdbus::IConnection& connection, std::chrono::steady_clock::time_point deadline,
                 const std::function<bool()>& done) {
    while (true) {
        while (connection.processPendingRequest()) {
        }
        if (done()) return true;
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return false;
        auto poll_data = connection.getEventLoopPollData();
        // +1: poll() rounds down, and waking a millisecond early would only loop once more.
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
        if (auto bus_wants = poll_data.getRelativeTimeout())
            left = std::min<int64_t>(left, std::chrono::duration_cast<std::chrono::milliseconds>(*bus_wants).count());
        pollfd fd{poll_data.fd, static_cast<short>(poll_data.events), 0};
        ::poll(&fd, 1, static_cast<int>(left));
    }
}

}  // namespace pmd
