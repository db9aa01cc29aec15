// EventLoop: the daemon's one sd-event loop, and EventSource, an owned sd-event source whose
// callback is a std::function. Destroying an EventSource disables it and releases its callback;
// that is safe even from inside the callback itself, because the loop keeps the callback alive
// for the duration of its dispatch.
#pragma once

#include <systemd/sd-event.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace pmd {

// Which pending source sd-event dispatches first: it runs one source per iteration, the lowest
// value first, and among equals the one pending longest. The bus is above everything so a
// client is answered between any two pieces of the Manager's work (a burst of exits, of
// respawns, of log lines), instead of behind every source that became ready before it.
enum class EventPriority : int64_t {
    Bus = SD_EVENT_PRIORITY_IMPORTANT,
    Normal = SD_EVENT_PRIORITY_NORMAL,
};

class EventSource {
public:
    EventSource() = default;
    EventSource(EventSource&&) noexcept;
    EventSource& operator=(EventSource&&) noexcept;
    EventSource(const EventSource&) = delete;
    EventSource& operator=(const EventSource&) = delete;
    ~EventSource();

    explicit operator bool() const { return source_ != nullptr; }
    sd_event_source* get() const { return source_; }
    void reset();

    // Io sources: change the events polled for.
    void set_io_events(uint32_t events);
    // Timer sources: re-arm one-shot at an absolute CLOCK_MONOTONIC time (microseconds).
    void set_time_usec(uint64_t usec);
    void set_enabled(bool on);
    void set_priority(EventPriority priority);
    // Runs before every poll of the loop while this source is enabled, e.g. to refresh what a
    // foreign fd (the bus connection) wants.
    void set_prepare(std::function<void()> handler);

    struct Callback;  // defined in event_loop.cc

private:
    friend class EventLoop;
    EventSource(sd_event_source* source, std::shared_ptr<Callback> callback);
    sd_event_source* source_ = nullptr;
    std::shared_ptr<Callback> callback_;
};

class EventLoop {
public:
    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    sd_event* get() const { return event_; }

    using IoHandler = std::function<void(uint32_t revents)>;
    using Handler = std::function<void()>;
    using SignalHandler = std::function<void(int signal)>;

    EventSource add_io(int fd, uint32_t events, IoHandler handler);
    // One-shot timer `delay` from now on CLOCK_MONOTONIC.
    EventSource add_timer(std::chrono::microseconds delay, Handler handler);
    // One-shot timer at an absolute CLOCK_REALTIME time (microseconds since the epoch), to the
    // microsecond (sd-event's default slack is 250 ms): cron_restart runs at the second it names,
    // and a wall-clock change (NTP step, settimeofday) moves it as it should.
    EventSource add_realtime_timer(uint64_t usec_since_epoch, Handler handler);
    // Blocks the signal for the whole process and delivers it here (signalfd underneath).
    EventSource add_signal(int signal, SignalHandler handler);
    // Runs once, in a later iteration of the loop.
    EventSource add_defer(Handler handler);

    // Pings the service manager's watchdog when WATCHDOG_USEC is set (sd-event does the timing).
    void enable_watchdog();

    // CLOCK_MONOTONIC now, in microseconds, as the loop sees it.
    uint64_t now_usec() const;
    // CLOCK_REALTIME now, in microseconds since the epoch.
    uint64_t now_realtime_usec() const;

    int run();
    void exit(int code);

private:
    sd_event* event_ = nullptr;
};

}  // namespace pmd
