#include "event/heap_trimmer.h"

#include <malloc.h>

namespace pmd {
namespace {

// Long enough that a burst (a start of many instances, their readiness settling) is over.
constexpr std::chrono::seconds kDelay{2};

}  // namespace

void HeapTrimmer::after_burst() {
    if (timer_) return;
    timer_ = loop_.add_timer(kDelay, [this] {
        malloc_trim(0);
        timer_.reset();
    });
}

}  // namespace pmd
