// LoopRelay: another thread's way into the event loop. The Manager and everything it owns are
// touched only by the loop thread; a thread a library runs (cpp-httplib's, for /metrics) asks
// through call(), which queues the request, wakes the loop with an eventfd and waits, bounded,
// for the loop to run the handler and hand back its text. Requests that arrive together are
// answered by one run of the handler.
//
// States: open (requests are answered on the loop) or closed (close(), or destruction): every
// waiting call() returns nullopt at once and later calls do not wait. Close it before joining
// the threads that call it, or they wait out their timeout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "event/event_loop.h"

namespace pmd {

class LoopRelay {
public:
    // handler runs on the loop thread; an exception it throws answers nullopt.
    LoopRelay(EventLoop& loop, std::function<std::string()> handler);
    ~LoopRelay();
    LoopRelay(const LoopRelay&) = delete;
    LoopRelay& operator=(const LoopRelay&) = delete;

    // Any thread but the loop's (the loop would wait for itself): the handler's text, or nullopt
    // when the relay is closed or the loop has not answered within `timeout`.
    std::optional<std::string> call(std::chrono::milliseconds timeout);

    // Loop thread.
    void close();

    // Calls waiting for an answer (or timed out and not yet answered): for tests that must know
    // a call() is blocked before they act.
    size_t waiting() const;

private:
    struct Request {
        bool done = false;
        std::optional<std::string> answer;
    };
    void answer_pending();

    std::function<std::string()> handler_;
    UniqueFd wakeup_;
    EventSource watch_;
    mutable std::mutex mutex_;
    std::condition_variable answered_;
    // Guarded by mutex_. A request that timed out stays here until answered; its waiter holds
    // its own reference, so neither side outlives the other's memory.
    std::vector<std::shared_ptr<Request>> pending_;
    bool closed_ = false;
};

}  // namespace pmd
