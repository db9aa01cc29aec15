// The hook a loop runs before every dispatch of a source at EventPriority::Bus (set with
// EventSource::set_priority): what a client must see done before it is answered again, but that
// may wait otherwise (BatchedTask). One hook per loop; an empty one removes it.
#pragma once

#include "event/event_loop.h"

namespace pmd {

void set_before_bus(EventLoop& loop, EventLoop::Handler hook);

}  // namespace pmd
