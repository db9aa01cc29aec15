#include "event/event_loop.h"

#include "base/errno_text.h"
#include "base/error.h"
#include "event/before_bus.h"

#include <signal.h>
#include <time.h>

#include <string>
#include <unordered_map>
#include <variant>

#include <spdlog/spdlog.h>

namespace pmd {

// The callback lives in a shared_ptr so the dispatch trampoline can hold it while it runs:
// a handler may destroy its own EventSource (an instance that exits and is removed).
struct EventSource::Callback : std::enable_shared_from_this<EventSource::Callback> {
    std::variant<EventLoop::IoHandler, EventLoop::Handler, EventLoop::SignalHandler> handler;
    // sd-event passes a prepare callback the source's own userdata, so it lives here too.
    EventLoop::Handler prepare;
    const EventLoop* loop = nullptr;
    // A source at EventPriority::Bus: its dispatch runs the loop's before-bus hook first.
    bool bus = false;
};

namespace {

// Handlers run under C frames of sd-event: nothing may be thrown through them. A handler that
// throws has failed its one event; the daemon goes on.
// Per loop (tests run several one after another); touched on the loop's thread only.
std::unordered_map<const EventLoop*, EventLoop::Handler>& before_bus_hooks() {
    static std::unordered_map<const EventLoop*, EventLoop::Handler> hooks;
    return hooks;
}

void run_before_bus(const EventLoop* loop) {
    auto& hooks = before_bus_hooks();
    if (hooks.empty()) return;
    auto it = hooks.find(loop);
    if (it != hooks.end()) it->second();
}

template <typename F>
int invoke(const EventSource::Callback* cb, const char* what, F&& f) {
    try {
        if (cb && cb->bus) run_before_bus(cb->loop);
        f();
    } catch (const std::exception& e) {
        spdlog::error("{} handler failed: {}", what, e.what());
    } catch (...) {
        spdlog::error("{} handler failed", what);
    }
    return 0;
}

[[noreturn]] void fail(const char* what, int r) {
    throw Error(Error::Kind::Failed, std::string(what) + ": " + errno_text(-r));
}

int on_io(sd_event_source*, int, uint32_t revents, void* userdata) {
    auto cb = static_cast<EventSource::Callback*>(userdata)->shared_from_this();
    return invoke(cb.get(), "io", [&] { std::get<EventLoop::IoHandler>(cb->handler)(revents); });
}

int on_time(sd_event_source*, uint64_t, void* userdata) {
    auto cb = static_cast<EventSource::Callback*>(userdata)->shared_from_this();
    return invoke(cb.get(), "timer", [&] { std::get<EventLoop::Handler>(cb->handler)(); });
}

int on_signal(sd_event_source*, const struct signalfd_siginfo* si, void* userdata) {
    auto cb = static_cast<EventSource::Callback*>(userdata)->shared_from_this();
    return invoke(cb.get(), "signal", [&] { std::get<EventLoop::SignalHandler>(cb->handler)(static_cast<int>(si->ssi_signo)); });
}

int on_defer(sd_event_source*, void* userdata) {
    auto cb = static_cast<EventSource::Callback*>(userdata)->shared_from_this();
    return invoke(cb.get(), "deferred", [&] { std::get<EventLoop::Handler>(cb->handler)(); });
}

int on_prepare(sd_event_source*, void* userdata) {
    auto cb = static_cast<EventSource::Callback*>(userdata)->shared_from_this();
    return invoke(nullptr, "prepare", [&] { if (cb->prepare) cb->prepare(); });
}

}  // namespace

void set_before_bus(EventLoop& loop, EventLoop::Handler hook) {
    if (hook) before_bus_hooks()[&loop] = std::move(hook);
    else before_bus_hooks().erase(&loop);
}

EventSource::EventSource(sd_event_source* source, std::shared_ptr<Callback> callback)
    : source_(source), callback_(std::move(callback)) {}

EventSource::EventSource(EventSource&& other) noexcept
    : source_(std::exchange(other.source_, nullptr)), callback_(std::move(other.callback_)) {}

EventSource& EventSource::operator=(EventSource&& other) noexcept {
    if (this != &other) {
        reset();
        source_ = std::exchange(other.source_, nullptr);
        callback_ = std::move(other.callback_);
    }
    return *this;
}

EventSource::~EventSource() { reset(); }

void EventSource::reset() {
    if (source_) {
        sd_event_source_disable_unref(source_);
        source_ = nullptr;
    }
    callback_.reset();
}

void EventSource::set_io_events(uint32_t events) {
    if (source_) sd_event_source_set_io_events(source_, events);
}

void EventSource::set_time_usec(uint64_t usec) {
    if (!source_) return;
    sd_event_source_set_time(source_, usec);
    sd_event_source_set_enabled(source_, SD_EVENT_ONESHOT);
}

void EventSource::set_priority(EventPriority priority) {
    if (!source_) return;
    int r = sd_event_source_set_priority(source_, static_cast<int64_t>(priority));
    if (r < 0) fail("cannot set an event priority", r);
    callback_->bus = priority == EventPriority::Bus;
}

void EventSource::set_prepare(std::function<void()> handler) {
    if (!source_) return;
    callback_->prepare = std::move(handler);
    int r = sd_event_source_set_prepare(source_, callback_->prepare ? on_prepare : nullptr);
    if (r < 0) fail("cannot add a prepare callback", r);
}

void EventSource::set_enabled(bool on) {
    if (source_) sd_event_source_set_enabled(source_, on ? SD_EVENT_ON : SD_EVENT_OFF);
}

EventLoop::EventLoop() {
    int r = sd_event_new(&event_);
    if (r < 0) fail("cannot create the event loop", r);
}

EventLoop::~EventLoop() { sd_event_unref(event_); }

EventSource EventLoop::add_io(int fd, uint32_t events, IoHandler handler) {
    auto cb = std::make_shared<EventSource::Callback>();
    cb->loop = this;
    cb->handler = std::move(handler);
    sd_event_source* s = nullptr;
    int r = sd_event_add_io(event_, &s, fd, events, on_io, cb.get());
    if (r < 0) fail("cannot watch a file descriptor", r);
    return EventSource(s, std::move(cb));
}

EventSource EventLoop::add_timer(std::chrono::microseconds delay, Handler handler) {
    auto cb = std::make_shared<EventSource::Callback>();
    cb->loop = this;
    cb->handler = std::move(handler);
    sd_event_source* s = nullptr;
    // From the clock now, not sd-event's time of this iteration (sd_event_add_time_relative):
    // after a long iteration that time is already past, and a kill_timeout counted from it
    // would kill a stubborn app before the time it was given since its stop signal.
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
    int r = sd_event_add_time(event_, &s, CLOCK_MONOTONIC, now + static_cast<uint64_t>(delay.count()), 0, on_time,
                              cb.get());
    if (r < 0) fail("cannot add a timer", r);
    return EventSource(s, std::move(cb));
}

EventSource EventLoop::add_realtime_timer(uint64_t usec_since_epoch, Handler handler) {
    auto cb = std::make_shared<EventSource::Callback>();
    cb->loop = this;
    cb->handler = std::move(handler);
    sd_event_source* s = nullptr;
    int r = sd_event_add_time(event_, &s, CLOCK_REALTIME, usec_since_epoch, 1, on_time, cb.get());
    if (r < 0) fail("cannot add a timer", r);
    return EventSource(s, std::move(cb));
}

EventSource EventLoop::add_signal(int signal, SignalHandler handler) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, signal);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    auto cb = std::make_shared<EventSource::Callback>();
    cb->loop = this;
    cb->handler = std::move(handler);
    sd_event_source* s = nullptr;
    int r = sd_event_add_signal(event_, &s, signal, on_signal, cb.get());
    if (r < 0) fail("cannot watch a signal", r);
    return EventSource(s, std::move(cb));
}

EventSource EventLoop::add_defer(Handler handler) {
    auto cb = std::make_shared<EventSource::Callback>();
    cb->loop = this;
    cb->handler = std::move(handler);
    sd_event_source* s = nullptr;
    int r = sd_event_add_defer(event_, &s, on_defer, cb.get());
    if (r < 0) fail("cannot add a deferred event", r);
    sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
    return EventSource(s, std::move(cb));
}

void EventLoop::enable_watchdog() { sd_event_set_watchdog(event_, 1); }

uint64_t EventLoop::now_usec() const {
    uint64_t now = 0;
    if (sd_event_now(event_, CLOCK_MONOTONIC, &now) < 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        now = static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
    }
    return now;
}

uint64_t EventLoop::now_realtime_usec() const {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

int EventLoop::run() { return sd_event_loop(event_); }

void EventLoop::exit(int code) { sd_event_exit(event_, code); }

}  // namespace pmd
