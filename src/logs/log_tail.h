// LogTail: the last lines of one app's stdout and stderr, kept in pmd's memory. They are what
// a client reads over the bus (App.Logs) when it may not open the log files (an unprivileged
// owner: the log directory is 2750 root:adm) or when there are none (journal-only apps).
// Bounded by lines and bytes per stream, so a chatty app costs at most kBytes twice; lines
// longer than kLineBytes are cut (the files and the journal keep them whole).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "logs/log_sink.h"

namespace pmd {

struct TailLine {
    uint64_t time_usec = 0;  // CLOCK_REALTIME, when pmd read the line
    uint64_t seq = 0;        // per app, both streams: the order pmd read them in
    unsigned instance = 0;
    LogStream stream = LogStream::Out;
    std::string text;
};

class LogTail {
public:
    static constexpr size_t kLines = 500;
    static constexpr size_t kBytes = 64 * 1024;
    static constexpr size_t kLineBytes = 4096;

    // Keeps the line (cut to kLineBytes) and returns it as kept.
    const TailLine& add(const LogLine& line);
    // The last `max` lines of one stream, or of both in the order they were read; oldest first.
    std::vector<TailLine> last(std::optional<LogStream> stream, size_t max) const;

private:
    struct Stream {
        std::deque<TailLine> lines;
        size_t bytes = 0;
    };
    Stream& of(LogStream s) { return s == LogStream::Out ? out_ : err_; }

    Stream out_, err_;
    uint64_t next_seq_ = 1;
};

}  // namespace pmd
