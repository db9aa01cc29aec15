#include "satan/process_ref.h"

#include <sys/syscall.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cerrno>

#include "base/errno_text.h"
#include "base/error.h"
#include "base/signal_name.h"

namespace pmd {

std::string ExitStatus::reason_name() const {
    switch (reason) {
        case Reason::Exited: return "exited";
        case Reason::Killed: return "killed";
        case Reason::Dumped: return "dumped";
    }
    return "exited";
}

std::string ExitStatus::describe() const {
    switch (reason) {
        case Reason::Exited:
            if (code < 0) return "exited (status unknown: not pmd's child since pmd was restarted)";
            return "exited with status " + std::to_string(code);
        case Reason::Killed: return "killed by " + signal_name(code);
        case Reason::Dumped: return "killed by " + signal_name(code) + " (core dumped)";
    }
    return "exited";
}

std::optional<ProcessRef> ProcessRef::open(pid_t pid) {
    // glibc 2.36's <sys/pidfd.h> lacks extern "C" for C++; the raw syscalls are stable ABI.
    int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) return std::nullopt;
    return ProcessRef(pid, UniqueFd(fd));
}

bool ProcessRef::send_signal(int signal) const {
    if (!pidfd_) return false;
    if (syscall(SYS_pidfd_send_signal, pidfd_.get(), signal, nullptr, 0) == 0) return true;
    if (errno == ESRCH) return false;
    throw Error(Error::Kind::Failed,
                "cannot send " + signal_name(signal) + " to pid " + std::to_string(pid_) + ": " + errno_text(errno));
}

std::optional<ExitStatus> ProcessRef::try_reap() const {
    if (!pidfd_) return std::nullopt;
    siginfo_t info{};
    if (waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED | WNOHANG) < 0) {
        // ECHILD: not our child (re-adopted after a daemon restart): the pidfd said it exited,
        // but the status went to whoever reaped it.
        if (errno == ECHILD) return ExitStatus{ExitStatus::Reason::Exited, -1};
        throw Error(Error::Kind::Failed, "cannot wait for pid " + std::to_string(pid_) + ": " + errno_text(errno));
    }
    if (info.si_pid == 0) return std::nullopt;
    switch (info.si_code) {
        case CLD_EXITED: return ExitStatus{ExitStatus::Reason::Exited, info.si_status};
        case CLD_DUMPED: return ExitStatus{ExitStatus::Reason::Dumped, info.si_status};
        default: return ExitStatus{ExitStatus::Reason::Killed, info.si_status};
    }
}

}  // namespace pmd
