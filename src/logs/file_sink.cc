#include "logs/file_sink.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "base/errno_text.h"
#include "base/error.h"

namespace pmd {

FileSink::FileSink(EventLoop& loop, std::string path, RotationLimits limits, DateFormat date_format,
                   std::optional<FsIdentity> opener)
    : loop_(loop), path_(std::move(path)), limits_(limits), date_format_(std::move(date_format)),
      opener_(opener) {
    open_file();
    if (!fd_) {
        int error = errno;
        throw Error(Error::Kind::Failed, "cannot open log file " + path_ + ": " + errno_text(error) +
                                             (out_of_fds(error) ? ""
                                                                : " (set out_file/error_file, or give pmd a writable --log-dir)"));
    }
    if (regular_ && limits_.compress && limits_.max_size > 0 && limits_.max_files > 0)
        compression_ = std::make_unique<RotatedLogCompression>(loop_, path_, limits_.max_files, opener_);
    if (regular_) {
        fd_.reset();
        deferred_ = true;
    }
}

void FileSink::open_deferred() {
    deferred_ = false;
    open_file();
    if (!fd_)
        spdlog::warn("log file {}: cannot open it at its first line: {}; lines are dropped until pmctl reopen-logs",
                     path_, std::strerror(errno));
}

void FileSink::open_file() {
    writable_.reset();
    torn_ = 0;  // a line begun in the previous file continues in this one
    int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    if (opener_) flags |= O_NOFOLLOW;
    int open_errno = 0;
    try {
        ScopedFsIdentity as_owner(opener_);
        fd_.reset(::open(path_.c_str(), flags, 0640));
        open_errno = errno;
    } catch (const Error& e) {
        spdlog::warn("log file {}: {}", path_, e.what());
        fd_.reset();
        open_errno = EPERM;
    }
    errno = open_errno;  // callers report it; restoring the identity must not hide it
    if (!fd_) return;
    struct stat st{};
    regular_ = ::fstat(fd_.get(), &st) == 0 && S_ISREG(st.st_mode);
    size_ = regular_ ? static_cast<uint64_t>(st.st_size) : 0;
}

void FileSink::write(const LogLine& line) {
    if (deferred_) open_deferred();
    size_t length = line.text.size() + 1;
    // A read burst can bring more than the bound: write out before judging the destination stuck.
    if (buffer_.size() + length > kMaxBufferedBytes) flush();
    if (buffer_.size() + length > kMaxBufferedBytes) {
        // The destination has not taken the last megabyte: dropping here is what keeps the
        // pipe drained, so the app never blocks on its stdout.
        ++dropped_;
        return;
    }
    size_t before = buffer_.size();
    if (!date_format_.empty()) {
        date_format_.append(buffer_, line.time);
        buffer_.append(": ");
    }
    buffer_.append(line.text);
    buffer_.push_back('\n');
    if (regular_ && limits_.max_size > 0 && size_ + buffer_.size() > limits_.max_size && size_ + before > 0) {
        // This line would cross the limit: everything before it goes to the current file, the
        // line itself starts the next one.
        std::string line_bytes = buffer_.substr(before);
        buffer_.resize(before);
        flush();
        if (buffer_.empty()) rotate();
        buffer_.append(line_bytes);
    }
}

void FileSink::flush() {
    while (!buffer_.empty()) {
        if (!fd_) {
            drop_buffer(EBADF);
            return;
        }
        ssize_t n = ::write(fd_.get(), buffer_.data(), buffer_.size());
        if (n > 0) {
            auto written = static_cast<size_t>(n);
            size_t last_newline = buffer_.rfind('\n', written - 1);
            torn_ = last_newline == std::string::npos ? torn_ + written : written - last_newline - 1;
            buffer_.erase(0, written);
            size_ += written;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN && !regular_) {
            if (!writable_) {
                try {
                    writable_ = loop_.add_io(fd_.get(), EPOLLOUT, [this](uint32_t) { flush(); });
                } catch (const std::exception&) {
                    drop_buffer(EAGAIN);  // not pollable: nothing would ever tell us it drained
                }
            }
            return;
        }
        drop_buffer(n < 0 ? errno : ENOSPC);
        return;
    }
    writable_.reset();
    // Only a batch written out whole ends a failure: a disk that is still full takes a few
    // bytes now and then (the rest of a page), which is not "working again".
    if (last_error_ != 0) {
        spdlog::info("log file {}: writing again; {} lines were dropped while it failed", path_,
                     dropped_ - dropped_before_error_);
        last_error_ = 0;
    }
}

void FileSink::drop_buffer(int error) {
    if (last_error_ == 0) dropped_before_error_ = dropped_;
    cut_torn_line();
    dropped_ += static_cast<uint64_t>(std::count(buffer_.begin(), buffer_.end(), '\n'));
    buffer_.clear();
    if (error != last_error_) {
        spdlog::warn("log file {}: {}; dropping lines until it works again (see DroppedLines in pmctl describe; "
                     "free space or fix the file, then pmctl reopen-logs)",
                     path_, std::strerror(error));
        last_error_ = error;
    }
}

void FileSink::cut_torn_line() {
    size_t torn = std::exchange(torn_, 0);
    if (torn == 0 || !regular_ || !fd_) return;
    // Without this the next line written would be glued to the fragment. Truncating frees
    // space, so it works on a full disk; only pmd appends to this file, so size_ is its end.
    if (::ftruncate(fd_.get(), static_cast<off_t>(size_ - torn)) == 0) {
        size_ -= torn;
        return;
    }
    spdlog::warn("log file {}: cannot cut a partly written line off it: {}", path_, std::strerror(errno));
}

void FileSink::rotate() {
    try {
        ScopedFsIdentity as_owner(opener_);
        rotate_log_files(path_, limits_.max_files);
    } catch (const Error& e) {
        // Keep writing to the file we have: a late rotation is better than a lost line. The
        // next attempt comes after another max_size bytes.
        spdlog::warn("{}", e.what());
        size_ = 0;
        return;
    }
    ++rotations_;
    if (compression_) compression_->rotated();
    open_file();
    if (!fd_)
        spdlog::warn("log file {}: cannot open it after rotation: {}; lines are dropped until pmctl reopen-logs",
                     path_, std::strerror(errno));
}

void FileSink::reopen() {
    if (deferred_) return;  // nothing held: the first line opens whatever the path names then
    flush();
    open_file();
    if (!fd_)
        spdlog::warn("log file {}: cannot reopen it: {}; lines are dropped until it can be opened", path_,
                     std::strerror(errno));
}

void FileSink::truncate() {
    if (deferred_) {
        // Cut it without holding it: a flush of a quiet app must not open every instance's file.
        open_file();
        if (fd_ && regular_ && ::ftruncate(fd_.get(), 0) != 0)
            spdlog::warn("log file {}: cannot truncate it: {}", path_, std::strerror(errno));
        fd_.reset();
        return;
    }
    flush();
    if (fd_ && regular_ && ::ftruncate(fd_.get(), 0) == 0) size_ = 0;
}

}  // namespace pmd
