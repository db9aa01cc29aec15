#include "bus/figures_clock.h"

namespace pmd {

void FiguresClock::wanted() {
    if (own_reads_ > 0) return;
    wanted_until_usec_ = loop_.now_usec() + std::chrono::microseconds(kLease).count();
    if (!timer_) timer_ = loop_.add_timer(std::chrono::seconds(1), [this] { on_timer(); });
}

void FiguresClock::on_timer() {
    if (loop_.now_usec() >= wanted_until_usec_) {
        timer_.reset();
        return;
    }
    {
        OwnReads own(*this);
        tick_();
    }
    timer_.set_time_usec(loop_.now_usec() + 1'000'000);
}

}  // namespace pmd
