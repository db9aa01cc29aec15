// JournalSink: lines to journald with PMD_APP=, PMD_INSTANCE=, SYSLOG_IDENTIFIER= (the app's
// name) and PRIORITY= (stdout 6 "info", stderr 3 "err").
//
// It speaks journald's native protocol itself (the one sd_journal_send() speaks: KEY=VALUE
// lines in one datagram to /run/systemd/journal/socket) on a non-blocking socket, because
// sd_journal_send() blocks when journald is slow and pmd's loop must not. A datagram journald
// cannot take now (EAGAIN) is a dropped line, counted. Our lines never contain '\n' (the pipe
// reader splits on it), so the simple KEY=VALUE form is always valid.
#pragma once

#include <string>

#include "base/unique_fd.h"
#include "logs/log_sink.h"

namespace pmd {

class JournalSink final : public LogSink {
public:
    static constexpr const char* kDefaultSocket = "/run/systemd/journal/socket";

    explicit JournalSink(std::string socket_path = kDefaultSocket);

    void write(const LogLine& line) override;
    uint64_t dropped_lines() const override { return dropped_; }

private:
    std::string socket_path_;
    UniqueFd fd_;
    std::string message_;  // reused between lines
    uint64_t dropped_ = 0;
    int last_error_ = 0;
};

}  // namespace pmd
