// HeapTrimmer: gives the heap's free pages back to the kernel a moment after a burst of work
// (starting or stopping a hundred instances, a big ListApps reply). glibc keeps freed memory
// in the middle of the heap mapped and only trims at the top, so the daemon's resident set
// would stay at the high-water mark of its busiest second. One malloc_trim per quiet moment
// costs a walk over the free lists; an idle daemon has no timer armed.
#pragma once

#include "event/event_loop.h"

namespace pmd {

class HeapTrimmer {
public:
    explicit HeapTrimmer(EventLoop& loop) : loop_(loop) {}
    // Something allocated and freed a lot; trims once, kDelay after the first call of a burst.
    void after_burst();

private:
    EventLoop& loop_;
    EventSource timer_;
};

}  // namespace pmd
