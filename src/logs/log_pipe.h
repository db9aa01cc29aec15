// LogPipe: one stream (stdout or stderr) of one instance slot. pmd owns the read end,
// non-blocking, in the event loop; children get copies of the write end. pmd also keeps a copy
// of the write end while the slot exists, so the pipe (and whatever is buffered in it)
// survives restarts of the instance and a replacement writes into the same pipe.
//
// States: open (pmd holds the writer) -> closing (close_writer(): EOF comes once every child,
// grandchildren included, has closed its copy) -> at_eof (the last partial line was emitted).
#pragma once

#include <functional>

#include "base/unique_fd.h"
#include "event/event_loop.h"
#include "logs/line_splitter.h"
#include "logs/log_handover.h"

namespace pmd {

class LogPipe {
public:
    using Batch = std::function<void()>;
    // on_line for each line; on_batch after each read burst (sinks flush then); on_eof once.
    LogPipe(EventLoop& loop, LineSplitter::Emit on_line, Batch on_batch, Batch on_eof);
    // Takes over a pipe the previous pmd handed over (release()).
    LogPipe(EventLoop& loop, LogStreamHandover handed, LineSplitter::Emit on_line, Batch on_batch, Batch on_eof);

    // Re-exec: flushes the sinks, then gives up both ends, still open, and the unterminated
    // line already read. Unread bytes wait in the pipe. The LogPipe watches nothing after.
    LogStreamHandover release();

    // A new fd of the write end for a child (close-on-exec; the spawner dups it to 1 or 2).
    UniqueFd child_end() const;
    void close_writer();
    bool at_eof() const { return eof_; }
    // Bytes the kernel buffers for this pipe before a writer blocks.
    int capacity() const { return capacity_; }
    // For the fd store (base/fd_store.h): -1 once released or closed.
    int read_fd() const { return read_.get(); }
    int write_fd() const { return write_.get(); }

private:
    void watch(EventLoop& loop);
    // One wake-up's worth of reading; false once EOF was handled (this may be destroyed).
    bool read_available(int max_reads);
    void on_readable();

    UniqueFd read_;
    UniqueFd write_;
    EventSource source_;
    LineSplitter splitter_;
    LineSplitter::Emit on_line_;
    Batch on_batch_;
    Batch on_eof_;
    int capacity_ = 0;
    bool eof_ = false;
};

}  // namespace pmd
