#include "logs/log_pipe.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/errno_text.h"
#include "base/error.h"

namespace pmd {
namespace {

// Bigger than the default 64 KiB so a burst from the app fits while pmd is busy elsewhere;
// 1 MiB is what an unprivileged process may ask for (/proc/sys/fs/pipe-max-size).
constexpr int kPipeSize = 1 << 20;
constexpr size_t kReadChunk = 64 * 1024;
// Reads per wake-up before yielding to other sources; level-triggered epoll calls us again.
constexpr int kReadsPerWakeup = 16;

}  // namespace

LogPipe::LogPipe(EventLoop& loop, LineSplitter::Emit on_line, Batch on_batch, Batch on_eof)
    : on_line_(std::move(on_line)), on_batch_(std::move(on_batch)), on_eof_(std::move(on_eof)) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0)
        throw Error(Error::Kind::Failed, "cannot create an output pipe: " + errno_text(errno));
    read_.reset(fds[0]);
    write_.reset(fds[1]);
    // Only our end is non-blocking: O_NONBLOCK lives in the open file description, and the
    // children's copies of the write end must block like any stdout would when the pipe is full.
    ::fcntl(read_.get(), F_SETFL, ::fcntl(read_.get(), F_GETFL) | O_NONBLOCK);
    capacity_ = ::fcntl(read_.get(), F_SETPIPE_SZ, kPipeSize);
    if (capacity_ < 0) capacity_ = ::fcntl(read_.get(), F_GETPIPE_SZ);
    watch(loop);
}

LogPipe::LogPipe(EventLoop& loop, LogStreamHandover handed, LineSplitter::Emit on_line, Batch on_batch, Batch on_eof)
    : read_(handed.read_fd), write_(handed.write_fd), on_line_(std::move(on_line)), on_batch_(std::move(on_batch)),
      on_eof_(std::move(on_eof)) {
    if (!read_) throw Error(Error::Kind::Failed, "internal: a handed-over output pipe without its read end");
    // Close-on-exec was cleared for the exec that brought them here; children must not inherit them.
    ::fcntl(read_.get(), F_SETFD, FD_CLOEXEC);
    if (write_) ::fcntl(write_.get(), F_SETFD, FD_CLOEXEC);
    splitter_.restore_pending(std::move(handed.pending));
    capacity_ = ::fcntl(read_.get(), F_GETPIPE_SZ);
    watch(loop);
}

void LogPipe::watch(EventLoop& loop) {
    source_ = loop.add_io(read_.get(), EPOLLIN, [this](uint32_t) { on_readable(); });
}

LogStreamHandover LogPipe::release() {
    if (eof_ || !read_) return {};
    // Unread bytes stay in the pipe for the next pmd; only the partial line pmd already took
    // out of it travels in the handover, so nothing is lost or read twice.
    on_batch_();
    source_.reset();
    LogStreamHandover out{read_.release(), write_.release(), splitter_.take_pending()};
    eof_ = true;
    return out;
}

UniqueFd LogPipe::child_end() const {
    if (!write_) throw Error(Error::Kind::Failed, "internal: output pipe already closed for writing");
    UniqueFd fd(::fcntl(write_.get(), F_DUPFD_CLOEXEC, 3));
    if (!fd)
        throw Error(Error::Kind::Failed, "cannot duplicate an output pipe: " + errno_text(errno));
    return fd;
}

void LogPipe::close_writer() { write_.reset(); }

void LogPipe::on_readable() {
    if (read_available(kReadsPerWakeup)) on_batch_();
}

bool LogPipe::read_available(int max_reads) {
    static char buffer[kReadChunk];
    for (int i = 0; i < max_reads; ++i) {
        ssize_t n = ::read(read_.get(), buffer, sizeof buffer);
        if (n > 0) {
            splitter_.feed(std::string_view(buffer, static_cast<size_t>(n)), on_line_);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        // EOF (or a read error, which means the same: nothing more will come).
        splitter_.finish(on_line_);
        on_batch_();
        source_.reset();
        read_.reset();
        eof_ = true;
        on_eof_();  // may destroy this; nothing after it
        return false;
    }
    return true;
}

}  // namespace pmd
