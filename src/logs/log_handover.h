// What a log pipe passes to the next pmd across a re-exec (god/handover.h): both ends of the
// pipe, kept open over execve, and the line pmd had begun to read but not yet seen the end of.
#pragma once

#include <string>

namespace pmd {

struct LogStreamHandover {
    int read_fd = -1;
    int write_fd = -1;
    std::string pending;
};

struct LogSlotHandover {
    unsigned index = 0;
    LogStreamHandover out;
    LogStreamHandover err;
};

}  // namespace pmd
