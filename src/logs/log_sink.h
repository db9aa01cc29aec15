// LogSink: where the lines of an app's instances end up (a file, the journal). Sinks never
// block the loop: a sink that cannot take a line now buffers it up to a bound, and beyond that
// drops it and counts it, so one stuck destination stalls neither pmd nor the app.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace pmd {

enum class LogStream { Out, Err };

struct LogLine {
    std::string_view app;
    unsigned instance = 0;
    LogStream stream = LogStream::Out;
    std::string_view text;  // without the newline; never contains one
    std::chrono::system_clock::time_point time;
};

class LogSink {
public:
    virtual ~LogSink() = default;
    virtual void write(const LogLine& line) = 0;
    // End of a batch of lines read from one pipe: push buffered bytes out.
    virtual void flush() {}
    // Close and open the destination again (after an external logrotate moved it).
    virtual void reopen() {}
    // Empty the destination (pmctl flush); a no-op where that means nothing (the journal).
    virtual void truncate() {}
    virtual uint64_t dropped_lines() const = 0;
};

}  // namespace pmd
