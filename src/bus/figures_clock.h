// FiguresClock: when the apps' Figures are announced. Every announcement reads the usage of
// every instance and serializes it, a few ms per second with 100 instances, which made an
// idle daemon busy 16 times over its budget (docs/benchmarks.md). D-Bus does not tell a
// sender who listens, so a watcher says so by reading Figures (Get, GetAll): the clock then
// ticks once a second for kLease, and each read extends it. pmctl monit re-reads it well
// within the lease; with nobody watching, the daemon has no timer at all.
#pragma once

#include <chrono>
#include <functional>

#include "event/event_loop.h"

namespace pmd {

class FiguresClock {
public:
    static constexpr std::chrono::seconds kLease{60};

    // tick: announce the figures of every app (called once a second while wanted).
    FiguresClock(EventLoop& loop, std::function<void()> tick) : loop_(loop), tick_(std::move(tick)) {}
    FiguresClock(const FiguresClock&) = delete;
    FiguresClock& operator=(const FiguresClock&) = delete;

    // Figures was read. The reads sd-bus makes to fill our own announcements do not count.
    void wanted();

    // While one lives, reads of Figures are pmd's own (the property values sd-bus puts into
    // InterfacesAdded when an app appears), not a watcher's.
    class OwnReads {
    public:
        explicit OwnReads(FiguresClock& clock) : clock_(clock) { ++clock_.own_reads_; }
        ~OwnReads() { --clock_.own_reads_; }
        OwnReads(const OwnReads&) = delete;
        OwnReads& operator=(const OwnReads&) = delete;

    private:
        FiguresClock& clock_;
    };

private:
    void on_timer();

    EventLoop& loop_;
    std::function<void()> tick_;
    EventSource timer_;
    uint64_t wanted_until_usec_ = 0;
    int own_reads_ = 0;  // > 0 inside tick_ or an OwnReads: a read is our own announcement
};

}  // namespace pmd
