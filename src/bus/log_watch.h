// LogWatch: who watches which app's output on the bus, and the LogLines signals they get.
//
// A signal on the bus goes to every client with a matching rule, so a broadcast of log lines
// would hand any user the output of every app. Instead a client asks (App.WatchLogs, under the
// same authorization as Logs) and pmd sends LogLines to that client alone (a unicast signal:
// its destination is the caller's unique name). The watch is a lease, as for Figures: it ends
// kLease after the last WatchLogs unless renewed, so a client that vanished costs nothing after
// a minute and pmd tracks no NameOwnerChanged.
//
// Rate bound: lines are gathered and sent at most once per kPeriod per app, at most
// kLinesPerSignal in one signal; the rest of a burst is counted in the signal's `skipped` (the
// client can read them with Logs). A chatty app therefore costs the bus at most
// kLinesPerSignal / kPeriod lines a second per watcher, and nothing while nobody watches.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "event/event_loop.h"
#include "logs/log_tail.h"

namespace pmd {

class LogWatch {
public:
    static constexpr std::chrono::seconds kLease{60};
    static constexpr std::chrono::milliseconds kPeriod{250};
    static constexpr size_t kLinesPerSignal = 100;
    static constexpr size_t kWatchersPerApp = 32;

    // send: one LogLines signal of `app` to each of `clients` (unique bus names).
    using Send = std::function<void(const std::string& app, const std::vector<std::string>& clients,
                                    const std::vector<TailLine>& lines, uint64_t skipped)>;
    LogWatch(EventLoop& loop, Send send) : loop_(loop), send_(std::move(send)) {}
    LogWatch(const LogWatch&) = delete;
    LogWatch& operator=(const LogWatch&) = delete;

    // Starts or renews the client's lease on the app; throws Error(Busy) past kWatchersPerApp.
    void watch(const std::string& app, const std::string& client);
    void unwatch(const std::string& app, const std::string& client);
    // A line the app wrote (OutputRouter's listener); nothing happens unless someone watches.
    void line(const std::string& app, const TailLine& line);
    // The app is gone: its watchers with it.
    void forget(const std::string& app);

private:
    struct AppWatch {
        std::map<std::string, uint64_t> until_usec;  // client -> lease end (CLOCK_MONOTONIC)
        std::vector<TailLine> pending;
        uint64_t skipped = 0;
    };
    void on_timer();

    EventLoop& loop_;
    Send send_;
    std::map<std::string, AppWatch> apps_;
    EventSource timer_;
};

}  // namespace pmd
