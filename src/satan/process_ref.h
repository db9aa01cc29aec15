// ProcessRef names one process by pid and an owned pidfd, so a signal or wait can never reach
// a recycled pid. It is the only way a process crosses a module boundary in pmd.
//
// States: empty (no process), live (pidfd open, not yet reaped), reaped (try_reap() returned
// a status; the pid is gone, the pidfd still open until reset).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/unique_fd.h"

namespace pmd {

struct ExitStatus {
    enum class Reason { Exited, Killed, Dumped };
    Reason reason = Reason::Exited;
    int code = 0;  // exit status for Exited, signal number otherwise

    bool clean() const { return reason == Reason::Exited && code == 0; }
    // "exited", "killed", "dumped": the reason field of InstanceExited.
    std::string reason_name() const;
    // "exited with status 3", "killed by SIGSEGV (core dumped)".
    std::string describe() const;
};

class ProcessRef {
public:
    ProcessRef() = default;
    ProcessRef(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}

    // Takes a reference to an existing child (re-adoption); nullopt if the process is gone.
    static std::optional<ProcessRef> open(pid_t pid);

    pid_t pid() const { return pid_; }
    int pidfd() const { return pidfd_.get(); }
    explicit operator bool() const { return pid_ > 0; }

    // False when the process is already gone (ESRCH); other failures throw.
    bool send_signal(int signal) const;
    // Reaps the process if it has exited; nullopt while it runs. Only for our own children.
    std::optional<ExitStatus> try_reap() const;

    void reset() {
        pid_ = 0;
        pidfd_.reset();
    }

private:
    pid_t pid_ = 0;
    UniqueFd pidfd_;
};

}  // namespace pmd
