#include "ctl/bus_connect.h"

#include <systemd/sd-bus.h>

#include <condition_variable>
#include <cstring>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <mutex>
#include <thread>

#include "base/quantity.h"
#include "ctl/god_client.h"

namespace pmd {
namespace {

void check_address_opens(const BusChoice& bus) {
    std::string error = bus.address_open_error();
    if (!error.empty()) throw CtlFailure(3, "cannot connect to " + bus.describe() + ": " + error);
}

}  // namespace

std::unique_ptr<sdbus::IConnection> connect_within(const BusChoice& bus, std::chrono::milliseconds limit) {
    // Shared with the connecting thread, which may outlive this call when the bus hangs.
    struct Attempt {
        std::mutex mutex;
        std::condition_variable finished;
        bool done = false;
        std::unique_ptr<sdbus::IConnection> connection;
        std::exception_ptr error;
    };
    check_address_opens(bus);
    auto attempt = std::make_shared<Attempt>();
    std::thread([attempt, bus] {
        std::unique_ptr<sdbus::IConnection> connection;
        std::exception_ptr error;
        try {
            connection = bus.connect();
        } catch (...) {
            error = std::current_exception();
        }
        std::lock_guard lock(attempt->mutex);
        attempt->connection = std::move(connection);
        attempt->error = error;
        attempt->done = true;
        attempt->finished.notify_one();
    }).detach();

    std::unique_lock lock(attempt->mutex);
    if (!attempt->finished.wait_for(lock, limit, [&] { return attempt->done; })) {
        std::cerr << "pmctl: " << bus.describe() << " did not answer within " << format_duration(limit)
                  << " (connecting; --timeout sets how long to wait)" << std::endl;
        // The thread is blocked inside sd-bus and cannot be joined; exiting with it still
        // running would run destructors under its feet.
        std::_Exit(3);
    }
    if (attempt->error) {
        try {
            std::rethrow_exception(attempt->error);
        } catch (const sdbus::Error& e) {
            throw CtlFailure(3, "cannot connect to " + bus.describe() + ": " + e.getMessage());
        }
    }
    attempt->connection->setMethodCallTimeout(limit);
    return std::move(attempt->connection);
}

}  // namespace pmd
