// Fakes of the Manager's OS seams (god/process_scope.h, god/launcher.h) for manager_test.cc.
// Each launched "main process" is a forked child that waits on a pipe for the status to exit
// with, so pidfds, reaping and signals stay the kernel's, while the scope around it is a list of
// pids the test controls.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>

#include <gtest/gtest.h>

#include "god/launcher.h"
#include "god/process_scope.h"
#include "logs/output_router.h"

namespace pmd {

class FakeScope;

// What the fakes share: the children launched, and the scope the next launch goes into.
struct FakeOs {
    struct Child {
        pid_t pid;
        UniqueFd control;  // a byte written here is the child's exit status
    };
    std::vector<Child> children;
    FakeScope* placing = nullptr;
    bool ignore_term = false;   // children launched from now on ignore SIGTERM
    bool fail_launch = false;   // the next launch fails as an exec failure does
    bool leave_behind = false;  // the next scopes keep a process after the main one exits
    bool freezer = false;       // scopes can freeze (as a cgroup can); the kernel says so later
    size_t launches = 0;
    // freeze, thaw and each signal (with whether its scope was frozen), in order, every scope's
    std::vector<std::string> journal;

    ~FakeOs() {
        for (auto& c : children) {
            ::kill(c.pid, SIGKILL);
            ::waitpid(c.pid, nullptr, 0);
        }
    }
    // Ends a child as if it exited with `status`.
    void exit(pid_t pid, int status) {
        for (auto& c : children) {
            if (c.pid != pid) continue;
            char byte = static_cast<char>(status);
            ASSERT_EQ(::write(c.control.get(), &byte, 1), 1);
        }
    }
};

class FakeWatch final : public ScopeWatch {
public:
    explicit FakeWatch(std::function<void()>& slot) : slot_(slot) {}
    ~FakeWatch() override { slot_ = nullptr; }

private:
    std::function<void()>& slot_;
};

class FakeScope final : public ProcessScope {
public:
    FakeScope(EventLoop& loop, FakeOs& os) : loop_(loop), os_(os) {}

    bool populated() const override { return !pids_.empty() || left_behind_; }
    void signal_all(const ProcessRef&, int signal) override {
        signals.push_back(signal);
        os_.journal.push_back("signal " + std::to_string(signal) + (frozen_ ? " frozen" : ""));
        for (pid_t pid : pids_) ::kill(pid, signal);
    }
    void kill_all(const ProcessRef& main) override {
        ++kills;
        signal_all(main, SIGKILL);
        if (!left_behind_) return;
        // The leftover dies with the kill; the kernel says so later, as cgroup.events does.
        left_behind_ = false;
        notice_ = loop_.add_defer([this] {
            if (changed_) changed_();
        });
    }
    void main_exited(pid_t pid) override { std::erase(pids_, pid); }
    std::unique_ptr<ScopeWatch> watch(std::function<void()> changed) override {
        changed_ = std::move(changed);
        return std::make_unique<FakeWatch>(changed_);
    }
    bool owns(const PidPlace& place, const ProcessRef&) const override {
        return std::find(pids_.begin(), pids_.end(), place.pid) != pids_.end();
    }
    bool reusable() const override { return true; }
    void prepare_spawn(const AppSpec&, SpawnRequest&) override { os_.placing = this; }
    uint64_t cpu_nsec() const override { return 0; }
    std::optional<IoUsage> io_usage() const override { return std::nullopt; }
    ResourceUsage usage(const ProcessRef&) const override { return {}; }
    std::unique_ptr<MemoryGuard> guard_memory(uint64_t, MemoryGuard::Over) override { return nullptr; }
    std::vector<pid_t> procs() const override { return pids_; }
    std::string cgroup_path() const override { return ""; }
    void remove() override {}
    std::unique_ptr<ScopeWatch> freeze(std::function<void()> frozen) override {
        if (!os_.freezer) return nullptr;
        frozen_ = true;
        os_.journal.push_back("freeze");
        freezing_ = std::move(frozen);
        freeze_notice_ = loop_.add_defer([this] {
            if (freezing_) std::exchange(freezing_, nullptr)();
        });
        return std::make_unique<FakeWatch>(freezing_);
    }
    void thaw() override {
        if (!frozen_) return;
        frozen_ = false;
        os_.journal.push_back("thaw");
    }

    // A run launched while os.leave_behind is set leaves a process behind its main one.
    void place(pid_t pid) {
        pids_.push_back(pid);
        left_behind_ = left_behind_ || os_.leave_behind;
    }
    std::vector<int> signals;  // every signal_all, kills included
    int kills = 0;

private:
    EventLoop& loop_;
    FakeOs& os_;
    bool left_behind_ = false;
    std::vector<pid_t> pids_;
    std::function<void()> changed_;
    EventSource notice_;
    bool frozen_ = false;
    std::function<void()> freezing_;
    EventSource freeze_notice_;
};

class FakeScopes final : public ProcessScopes {
public:
    FakeScopes(EventLoop& loop, FakeOs& os) : loop_(loop), os_(os) {}
    CgroupDir app_dir(const std::string&) override { return {}; }
    std::unique_ptr<ProcessScope> instance_scope(const CgroupDir&, unsigned, unsigned) override {
        return std::make_unique<FakeScope>(loop_, os_);
    }
    PidPlace place_of(pid_t pid) const override { return {pid, "", -1}; }
    std::string mode_name() const override { return "fake"; }
    std::string root() const override { return ""; }
    std::string stats_source() const override { return "none"; }
    const CgroupTree* tree() const override { return nullptr; }

private:
    EventLoop& loop_;
    FakeOs& os_;
};

class FakeLauncher final : public Launcher {
public:
    explicit FakeLauncher(FakeOs& os) : os_(os) {}
    ProcessRef launch(const SpawnRequest& request) override {
        if (std::exchange(os_.fail_launch, false))
            throw Error(Error::Kind::ExecFailed, "cannot execute " + request.path + ": No such file or directory");
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(Error::Kind::Failed, "pipe2 failed");
        // Ignored before the fork, so the child ignores SIGTERM from its first instruction:
        // set in the child, a stop could come first.
        struct sigaction ignore = {}, previous = {};
        ignore.sa_handler = SIG_IGN;
        if (os_.ignore_term) ::sigaction(SIGTERM, &ignore, &previous);
        pid_t pid = ::fork();
        if (pid == 0) {
            ::close(fds[1]);
            char status = 0;
            ssize_t n = ::read(fds[0], &status, 1);
            ::_exit(n == 1 ? status : 0);
        }
        if (os_.ignore_term) ::sigaction(SIGTERM, &previous, nullptr);
        ::close(fds[0]);
        int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
        os_.children.push_back({pid, UniqueFd(fds[1])});
        os_.placing->place(pid);
        ++os_.launches;
        return ProcessRef(pid, UniqueFd(pidfd));
    }

private:
    FakeOs& os_;
};

class NullOutput final : public OutputRouter {
public:
    void app_added(const AppSpec&, const std::optional<FsIdentity>&) override {}
    InstanceOutput instance_output(const AppSpec&, unsigned) override {
        InstanceOutput out;
        out.stdout_fd = UniqueFd(::open("/dev/null", O_WRONLY | O_CLOEXEC));
        out.stderr_fd = UniqueFd(::open("/dev/null", O_WRONLY | O_CLOEXEC));
        return out;
    }
    void app_removed(const std::string&) override {}
};

}  // namespace pmd
