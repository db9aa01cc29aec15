#include "satan/spawner.h"

#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstring>

#include "base/errno_text.h"
#include "base/error.h"
#include "base/unique_fd.h"
#include "satan/vfork_clone.h"

namespace pmd {
namespace {

// What the child reports through the error pipe before it dies.
struct ChildFailure {
    int step;
    int error;
};

enum Step : int { kStepFds = 1, kStepCwd, kStepGroups, kStepGid, kStepUid, kStepExec, kStepLimits, kStepNoNewPrivs };

const char* step_text(int step) {
    switch (step) {
        case kStepFds: return "cannot set up file descriptors";
        case kStepCwd: return "cannot change to the working directory";
        case kStepGroups: return "cannot set supplementary groups";
        case kStepGid: return "cannot switch group";
        case kStepUid: return "cannot switch user";
        case kStepExec: return "cannot execute";
        case kStepLimits: return "cannot set a resource limit (limit_*)";
        case kStepNoNewPrivs: return "cannot set no_new_privs";
    }
    return "cannot start";
}

[[noreturn]] void child_fail(int pipe_fd, int step) {
    ChildFailure failure{step, errno};
    ssize_t ignored = write(pipe_fd, &failure, sizeof failure);
    (void)ignored;
    _exit(127);
}

// Runs in the child between clone3 and execve: only async-signal-safe calls, no allocation.
// The child shares pmd's memory (clone3_vfork), so it writes nothing but its own stack, errno
// and the LISTEN_PID slot, and makes credential changes by raw system call: glibc's setresuid
// and friends would broadcast the change to every thread glibc knows of, which here are pmd's.
// The fds a child copies into 0, 1, 2, 3... The numbers are pmd's own, or, when the child shares
// pmd's fd table (CLONE_FILES), low slots pmd put them in (LowFdSlots): the child then keeps
// only the table below unshare_from.
struct ChildFds {
    int out;
    int err;
    const int* pass;
    int unshare_from;  // -1: the child has a copy of pmd's whole table already
};

[[noreturn]] void child_main(const SpawnRequest& req, const ChildFds& fds, int err_fd, char* const* argv,
                             char* const* envp, char* listen_pid_slot, const struct rlimit* nofile_default) {
    // Dispositions first, while every signal is still blocked (spawn blocked them): a handler
    // of pmd must never run in the child, whose memory is pmd's.
    for (int s = 1; s < NSIG; ++s) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        signal(s, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    setsid();
    // First of all fd changes: until then the table is pmd's. Copying only the slots and what
    // lies below them costs the same at 10 or 10,000 instances; a whole copy (clone without
    // CLONE_FILES) and then closing it (close_range below) cost 2 ms a spawn at 8,000 fds.
    if (fds.unshare_from >= 0 &&
        syscall(SYS_close_range, static_cast<unsigned>(fds.unshare_from), ~0U, CLOSE_RANGE_UNSHARE) < 0)
        child_fail(err_fd, kStepFds);

    // Move every fd we keep above the range we are about to fill, then into place, so that a
    // source fd that happens to sit at 1 or 4 is never overwritten before it is copied.
    const int n = static_cast<int>(req.pass_fds.size());
    const int high = 3 + n + 16;
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) child_fail(err_fd, kStepFds);
    int out = fcntl(fds.out >= 0 ? fds.out : devnull, F_DUPFD_CLOEXEC, high);
    int err = fcntl(fds.err >= 0 ? fds.err : devnull, F_DUPFD_CLOEXEC, high);
    int in = fcntl(devnull, F_DUPFD_CLOEXEC, high);
    int errpipe = fcntl(err_fd, F_DUPFD_CLOEXEC, high);
    if (out < 0 || err < 0 || in < 0 || errpipe < 0) child_fail(err_fd, kStepFds);
    err_fd = errpipe;
    int moved[256];
    if (n > 256) { errno = EMFILE; child_fail(err_fd, kStepFds); }
    for (int i = 0; i < n; ++i) {
        moved[i] = fcntl(fds.pass[i], F_DUPFD_CLOEXEC, high);
        if (moved[i] < 0) child_fail(err_fd, kStepFds);
    }
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) child_fail(err_fd, kStepFds);
    for (int i = 0; i < n; ++i)
        if (dup2(moved[i], 3 + i) < 0) child_fail(err_fd, kStepFds);
    // Keep the error pipe just above the passed fds (close-on-exec), close everything else.
    if (dup3(err_fd, 3 + n, O_CLOEXEC) < 0) child_fail(err_fd, kStepFds);
    err_fd = 3 + n;
    syscall(SYS_close_range, 3 + n + 1, ~0U, 0);

    if (listen_pid_slot) {
        // "LISTEN_PID=" was preallocated with room for any pid.
        char digits[16];
        auto [end, ec] = std::to_chars(digits, digits + sizeof digits, static_cast<long>(getpid()));
        (void)ec;
        size_t len = static_cast<size_t>(end - digits);
        std::memcpy(listen_pid_slot, digits, len);
        listen_pid_slot[len] = '\0';
    }

    umask(req.umask);
    if (nofile_default && setrlimit(RLIMIT_NOFILE, nofile_default) < 0) child_fail(err_fd, kStepLimits);
    // Limits first, while still privileged: raising a hard limit needs CAP_SYS_RESOURCE.
    for (const auto& limit : req.rlimits) {
        struct rlimit value{static_cast<rlim_t>(limit.value), static_cast<rlim_t>(limit.value)};
        if (setrlimit(limit.resource, &value) < 0) child_fail(err_fd, kStepLimits);
    }
    if (req.credentials) {
        // Groups, then gid, then uid: once the uid is dropped neither of the others may change,
        // and a gid change after setgroups would keep root's supplementary groups.
        const auto& c = *req.credentials;
        if (geteuid() == 0) {
            if (syscall(SYS_setgroups, c.groups.size(), c.groups.data()) < 0) child_fail(err_fd, kStepGroups);
        }
        if (syscall(SYS_setresgid, c.gid, c.gid, c.gid) < 0) child_fail(err_fd, kStepGid);
        if (syscall(SYS_setresuid, c.uid, c.uid, c.uid) < 0) child_fail(err_fd, kStepUid);
        // A dropped root must not be able to come back (e.g. a kernel that ignored the call).
        if (c.uid != 0 && syscall(SYS_setresuid, 0, 0, 0) == 0) {
            errno = EPERM;
            child_fail(err_fd, kStepUid);
        }
    }
    if (req.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) child_fail(err_fd, kStepNoNewPrivs);
    // After the credential switch, so a directory the user may not enter is reported as such.
    if (chdir(req.cwd.c_str()) < 0) child_fail(err_fd, kStepCwd);
    execve(req.path.c_str(), argv, envp);
    child_fail(err_fd, kStepExec);
}

// What the child needs, handed through clone3_vfork's single pointer.
struct ChildArgs {
    const SpawnRequest* req;
    const ChildFds* fds;
    int err_fd;
    char* const* argv;
    char* const* envp;
    char* listen_pid_slot;
    const struct rlimit* nofile_default;
};

[[noreturn]] void child_entry(void* p) {
    const auto* a = static_cast<const ChildArgs*>(p);
    child_main(*a->req, *a->fds, a->err_fd, a->argv, a->envp, a->listen_pid_slot, a->nofile_default);
}

// The child's stack while it runs child_main: a part of the parent's own, which is free to
// lend because the parent is suspended until the child has exec'd or exited (CLONE_VFORK).
// child_main needs about 2 KiB (4x with sanitizers).
constexpr size_t kChildStackSize = 32 * 1024;

// Blocks every signal of the calling thread for its lifetime; the child starts with that mask
// and unblocks only once its dispositions are the defaults.
class AllSignalsBlocked {
public:
    AllSignalsBlocked() {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &saved_);
    }
    ~AllSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
    AllSignalsBlocked(const AllSignalsBlocked&) = delete;
    AllSignalsBlocked& operator=(const AllSignalsBlocked&) = delete;

private:
    sigset_t saved_;
};

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// The soft fd limit a child gets when its request sets none and pmd's own is higher: pmd's is
// raised for its fds (the unit's LimitNOFILE=), and an app gets what a systemd service gets,
// soft 1024 (select() breaks above fd 1023) with the hard limit as raised, so it may raise its
// own. nullptr when pmd's soft limit is that low already.
const struct rlimit* default_nofile(const SpawnRequest& req, struct rlimit& out) {
    constexpr rlim_t kServiceSoftLimit = 1024;
    for (const auto& limit : req.rlimits)
        if (limit.resource == RLIMIT_NOFILE) return nullptr;
    if (getrlimit(RLIMIT_NOFILE, &out) < 0 || out.rlim_cur <= kServiceSoftLimit) return nullptr;
    out.rlim_cur = kServiceSoftLimit;
    return &out;
}

// Low fd numbers pmd holds (on /dev/null) for the fds a child needs, so the child may share
// pmd's table (CLONE_FILES) and unshare only what lies below them. Taken as spawns need them
// (3 for an app without sockets), the first at the first spawn, when pmd has few fds; if they
// are high (a pmd re-executed with thousands of fds) they save less but cost nothing. Without
// them (no fd left) a spawn copies the whole table as before. Loop thread only.
class LowFdSlots {
public:
    static constexpr int kCount = 64;

    static LowFdSlots& get() {
        static LowFdSlots slots;
        return slots;
    }
    // Whether `count` slots are there, taking the missing ones now.
    bool reserve(int count) {
        if (!usable_) return false;
        while (static_cast<int>(held_.size()) < count) {
            UniqueFd fd(fcntl(null_.get(), F_DUPFD_CLOEXEC, 0));
            if (!fd) return false;
            above_ = std::max(above_, fd.get() + 1);
            held_.push_back(std::move(fd));
        }
        return true;
    }
    int slot(int i) const { return held_[static_cast<size_t>(i)].get(); }
    int above() const { return above_; }
    // Puts fd into slot i (close-on-exec, as every fd of pmd); -1 leaves it on /dev/null.
    bool fill(int i, int fd) const { return fd < 0 || dup3(fd, slot(i), O_CLOEXEC) >= 0; }
    // Back on /dev/null: a slot must not keep a pipe's write end open (the error pipe's read
    // would never end) nor a socket alive.
    void clear(int count) const {
        for (int i = 0; i < count; ++i) dup3(null_.get(), slot(i), O_CLOEXEC);
    }

private:
    LowFdSlots() : null_(::open("/dev/null", O_RDWR | O_CLOEXEC)) {
        // CLOSE_RANGE_UNSHARE came with Linux 5.9; probing it here would unshare pmd's table
        // from its own threads (the metrics server's), so the version decides.
        struct utsname u{};
        unsigned major = 0, minor = 0;
        usable_ = null_ && uname(&u) == 0 && std::sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
                  major * 1000 + minor >= 5009;
    }
    UniqueFd null_;
    std::vector<UniqueFd> held_;
    int above_ = 0;
    bool usable_ = false;
};

bool is_executable_file(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

}  // namespace

ProcessRef spawn(const SpawnRequest& req) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) < 0)
        throw Error(Error::Kind::Failed, "cannot create a pipe: " + errno_text(errno));
    UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);

    std::vector<std::string> argv_strings = req.argv;
    std::vector<std::string> env_strings = req.env;
    std::size_t listen_pid_index = 0;
    if (req.set_listen_pid) {
        listen_pid_index = env_strings.size();
        env_strings.push_back("LISTEN_PID=" + std::string(20, '\0'));
    }
    auto argv = pointers(argv_strings);
    auto envp = pointers(env_strings);
    char* listen_pid_slot = req.set_listen_pid ? envp[listen_pid_index] + std::strlen("LISTEN_PID=") : nullptr;

    struct rlimit nofile_value{};
    const struct rlimit* nofile_default = default_nofile(req, nofile_value);

    int pidfd = -1;
    struct clone_args args {};
    args.flags = CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    if (req.cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = static_cast<uint64_t>(req.cgroup_fd);
    }
    long pid;
    int clone_errno = 0;
    ChildFds fds{req.stdout_fd, req.stderr_fd, req.pass_fds.data(), -1};
    if constexpr (kHaveVforkClone) {
        // Slots 0 and 1: stdout and stderr; 2: the error pipe; 3..: the passed fds.
        const int n = static_cast<int>(req.pass_fds.size());
        LowFdSlots& slots = LowFdSlots::get();
        int err_fd = write_end.get();
        int slot_pass[LowFdSlots::kCount];
        int filled = 0;
        if (n + 3 <= LowFdSlots::kCount && slots.reserve(n + 3)) {
            bool ok = slots.fill(0, req.stdout_fd) && slots.fill(1, req.stderr_fd) && slots.fill(2, err_fd);
            for (int i = 0; ok && i < n; ++i) ok = slots.fill(3 + i, req.pass_fds[static_cast<size_t>(i)]);
            filled = 3 + n;
            if (ok) {
                for (int i = 0; i < n; ++i) slot_pass[i] = slots.slot(3 + i);
                fds = ChildFds{req.stdout_fd >= 0 ? slots.slot(0) : -1, req.stderr_fd >= 0 ? slots.slot(1) : -1,
                               slot_pass, slots.above()};
                err_fd = slots.slot(2);
                args.flags |= CLONE_FILES;
            }
        }
        alignas(16) char child_stack[kChildStackSize];
        ChildArgs child{&req, &fds, err_fd, argv.data(), envp.data(), listen_pid_slot, nofile_default};
        {
            AllSignalsBlocked blocked;
            pid = clone3_vfork(args, child_stack, sizeof child_stack, child_entry, &child);
            // errno is shared with the child too: keep the parent's own, of a failed clone3.
            if (pid < 0) clone_errno = errno;
        }
        slots.clear(filled);
    } else {
        pid = syscall(SYS_clone3, &args, sizeof args);
        if (pid < 0) clone_errno = errno;
        if (pid == 0) child_main(req, fds, write_end.get(), argv.data(), envp.data(), listen_pid_slot, nofile_default);
    }
    if (pid < 0)
        throw Error(Error::Kind::Failed, "cannot create a process (clone3): " + errno_text(clone_errno));

    ProcessRef process(static_cast<pid_t>(pid), UniqueFd(pidfd));
    write_end.reset();
    ChildFailure failure{};
    ssize_t got;
    do {
        got = read(read_end.get(), &failure, sizeof failure);
    } while (got < 0 && errno == EINTR);
    if (got == static_cast<ssize_t>(sizeof failure)) {
        // The child is exiting with 127; reap it so no zombie is left behind.
        siginfo_t info{};
        waitid(P_PIDFD, static_cast<id_t>(process.pidfd()), &info, WEXITED);
        std::string what = step_text(failure.step);
        if (failure.step == kStepExec) what += " " + req.path;
        if (failure.step == kStepCwd) what += " " + req.cwd;
        // Out of fds is pmd's limit (the child has pmd's until it execs), not the command's fault.
        throw Error(out_of_fds(failure.error) ? Error::Kind::Failed : Error::Kind::ExecFailed,
                    what + ": " + errno_text(failure.error));
    }
    return process;
}

std::string resolve_executable(const std::string& argv0, const std::string& cwd,
                               const std::vector<std::string>& env) {
    if (argv0.empty()) throw Error(Error::Kind::ExecFailed, "the command is empty");
    auto check = [&](const std::string& path) {
        // Built with append rather than operator+ chains: GCC 12 reports a false -Wrestrict
        // on those at -O2 (GCC bug 105329).
        std::string message = "cannot execute ";
        message.append(path);
        if (access(path.c_str(), F_OK) != 0)
            throw Error(Error::Kind::ExecFailed, message.append(": no such file"));
        if (!is_executable_file(path))
            throw Error(Error::Kind::ExecFailed, message.append(": not an executable file"));
        return path;
    };
    if (argv0.find('/') != std::string::npos) {
        if (argv0.front() == '/') return check(argv0);
        std::string base = cwd.empty() ? "/" : cwd;
        if (base.back() != '/') base += '/';
        return check(base + (argv0.rfind("./", 0) == 0 ? argv0.substr(2) : argv0));
    }
    std::string path_var = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const auto& kv : env)
        if (kv.rfind("PATH=", 0) == 0) path_var = kv.substr(5);
    size_t start = 0;
    while (start <= path_var.size()) {
        size_t end = path_var.find(':', start);
        if (end == std::string::npos) end = path_var.size();
        std::string dir = path_var.substr(start, end - start);
        if (dir.empty()) dir = ".";
        std::string candidate = dir + "/" + argv0;
        if (dir.front() != '/') candidate = (cwd.empty() ? std::string("/") : cwd + "/") + candidate;
        if (is_executable_file(candidate)) return candidate;
        start = end + 1;
    }
    throw Error(Error::Kind::ExecFailed, "cannot execute " + argv0 + ": command not found in PATH (" + path_var + ")");
}

namespace {

Account account_of(const struct passwd& pw) {
    return Account{pw.pw_name ? pw.pw_name : "", pw.pw_dir ? pw.pw_dir : "", pw.pw_shell ? pw.pw_shell : ""};
}

}  // namespace

std::optional<Account> lookup_account(uid_t uid) {
    std::vector<char> buf(16384);
    struct passwd pw, *pwp = nullptr;
    getpwuid_r(uid, &pw, buf.data(), buf.size(), &pwp);
    if (!pwp) return std::nullopt;
    return account_of(pw);
}

Credentials lookup_credentials(const std::string& user, const std::string& group, std::optional<Account>* account) {
    Credentials c;
    std::vector<char> buf(16384);
    struct passwd pw, *pwp = nullptr;
    uid_t numeric_uid = 0;
    auto [end, ec] = std::from_chars(user.data(), user.data() + user.size(), numeric_uid);
    bool is_number = ec == std::errc() && end == user.data() + user.size();
    if (is_number) getpwuid_r(numeric_uid, &pw, buf.data(), buf.size(), &pwp);
    else getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &pwp);
    if (!pwp) {
        if (!is_number) throw Error(Error::Kind::ExecFailed, "unknown user '" + user + "': no such user in the passwd database");
        c.uid = numeric_uid;
        c.gid = numeric_uid;
    } else {
        c.uid = pw.pw_uid;
        c.gid = pw.pw_gid;
    }
    if (account) *account = pwp ? std::optional<Account>(account_of(pw)) : std::nullopt;
    if (!group.empty()) {
        std::vector<char> gbuf(16384);
        struct group gr, *grp = nullptr;
        gid_t numeric_gid = 0;
        auto [gend, gec] = std::from_chars(group.data(), group.data() + group.size(), numeric_gid);
        if (gec == std::errc() && gend == group.data() + group.size()) {
            c.gid = numeric_gid;
        } else {
            getgrnam_r(group.c_str(), &gr, gbuf.data(), gbuf.size(), &grp);
            if (!grp) throw Error(Error::Kind::ExecFailed, "unknown group '" + group + "': no such group in the group database");
            c.gid = gr.gr_gid;
        }
    }
    if (pwp) {
        int n = 64;
        std::vector<gid_t> groups(static_cast<size_t>(n));
        if (getgrouplist(pw.pw_name, c.gid, groups.data(), &n) < 0) {
            groups.resize(static_cast<size_t>(n));
            getgrouplist(pw.pw_name, c.gid, groups.data(), &n);
        }
        groups.resize(static_cast<size_t>(n));
        c.groups = std::move(groups);
    } else {
        c.groups = {c.gid};
    }
    return c;
}

}  // namespace pmd
