// FileSink: one log file written by pmd. Lines are appended to a buffer and written at the end
// of each batch read from a pipe (one write() for many lines). The fd is O_APPEND|O_NONBLOCK:
// for a FIFO or a socket-like destination, EAGAIN keeps the buffer and waits for POLLOUT; a
// regular file on a full disk fails with ENOSPC. Either way, lines beyond kMaxBufferedBytes, or
// lost to a write error, are counted in dropped_lines() instead of stalling the loop. A disk
// that fills in the middle of a write takes part of a line: that part is cut off the file
// again, so the file holds whole lines only and the line counts as dropped. pmd warns once when
// a file stops taking lines and says when it takes them again.
//
// Rotation (RotationLimits) happens between two lines: when the next line would take the file
// past max_size, the buffer is written out, the file is renamed (log_rotation.h) and a new one
// opened, so a line is never split, lost or duplicated across files. With compress, rotated
// files are then gzipped in the background (rotated_log_compression.h).
//
// A regular file is held open only from its first line on: the constructor opens it (so a path
// that cannot be written is an answer to the start, and the file exists as PM2's does) and
// closes it again, and the first write() opens it for good. A quiet instance then costs pmd no
// fd for its logs; once opened, a file stays open (a rotation swaps it for the new one) until
// the sink goes, since closing an idle file would need a timer per sink and reopening it
// would race a logrotate that moved it. Other destinations (a FIFO, a terminal) stay open
// from the start: closing a FIFO would hand its reader an EOF.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/fs_identity.h"
#include "base/unique_fd.h"
#include "event/event_loop.h"
#include "logs/date_format.h"
#include "logs/log_rotation.h"
#include "logs/log_sink.h"
#include "logs/rotated_log_compression.h"

namespace pmd {

class FileSink final : public LogSink {
public:
    static constexpr size_t kMaxBufferedBytes = 1 << 20;

    // Opens the file now; throws Error naming it and the fix if it cannot. With an opener (a
    // path a user chose), every open, rotation and reopen runs with that user's file
    // permissions and does not follow a symlink in the last component.
    FileSink(EventLoop& loop, std::string path, RotationLimits limits, DateFormat date_format,
             std::optional<FsIdentity> opener = std::nullopt);

    void write(const LogLine& line) override;
    void flush() override;
    void reopen() override;
    void truncate() override;
    uint64_t dropped_lines() const override { return dropped_; }

    const std::string& path() const { return path_; }
    uint64_t rotations() const { return rotations_; }
    // No rotated file waiting to be compressed (always true without compress).
    bool compression_idle() const { return !compression_ || compression_->idle(); }

private:
    void open_file();
    void open_deferred();
    void rotate();
    void drop_buffer(int error);
    void cut_torn_line();

    EventLoop& loop_;
    std::string path_;
    RotationLimits limits_;
    DateFormat date_format_;
    std::optional<FsIdentity> opener_;
    UniqueFd fd_;
    bool deferred_ = false;     // a regular file checked but not yet held open: no line yet
    bool regular_ = false;      // rotation and size only mean something for regular files
    uint64_t size_ = 0;         // bytes in the current file, as written by us
    std::string buffer_;        // whole lines not yet written
    EventSource writable_;      // armed while a non-file destination is full
    uint64_t dropped_ = 0;
    uint64_t rotations_ = 0;
    size_t torn_ = 0;           // bytes of buffer_'s first line already in the file
    int last_error_ = 0;        // warn once per kind of failure, not once per line
    uint64_t dropped_before_error_ = 0;  // dropped_ when the current failure began
    std::unique_ptr<RotatedLogCompression> compression_;  // with limits_.compress
};

}  // namespace pmd
