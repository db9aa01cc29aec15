#include "satan/spawner.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>

#include "base/error.h"

namespace pmd {
namespace {

// Waits (with a deadline) for the pidfd to become readable, then reaps.
ExitStatus wait_exit(const ProcessRef& p) {
    struct pollfd pfd{p.pidfd(), POLLIN, 0};
    EXPECT_EQ(poll(&pfd, 1, 10'000), 1) << "process did not exit within 10 s";
    auto status = p.try_reap();
    EXPECT_TRUE(status.has_value());
    return status.value_or(ExitStatus{});
}

std::string read_all(int fd) {
    std::string out;
    char buf[512];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
}

// Spawns r with its stdout into a pipe; what it wrote, once it has exited.
std::string output_of(SpawnRequest r) {
    int out[2];
    EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
    r.stdout_fd = out[1];
    auto p = spawn(r);
    close(out[1]);
    std::string text = read_all(out[0]);
    close(out[0]);
    wait_exit(p);
    return text;
}

SpawnRequest shell(const std::string& script) {
    SpawnRequest r;
    r.path = "/bin/sh";
    r.argv = {"sh", "-c", script};
    r.env = {"PATH=/usr/bin:/bin"};
    return r;
}

}  // namespace

TEST(Spawn, ReportsExitStatus) {
    auto p = spawn(shell("exit 7"));
    auto status = wait_exit(p);
    EXPECT_EQ(status.reason, ExitStatus::Reason::Exited);
    EXPECT_EQ(status.code, 7);
    EXPECT_EQ(status.describe(), "exited with status 7");
}

TEST(Spawn, MissingExecutableIsAnErrorNotAProcess) {
    SpawnRequest r;
    r.path = "/nonexistent/server";
    r.argv = {"server"};
    try {
        spawn(r);
        FAIL() << "spawn of a missing file succeeded";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::ExecFailed);
        EXPECT_NE(std::string(e.what()).find("/nonexistent/server"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
    }
}

TEST(Spawn, BadWorkingDirectoryIsNamed) {
    auto r = shell("true");
    r.cwd = "/nonexistent-dir";
    try {
        spawn(r);
        FAIL() << "spawn into a missing cwd succeeded";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("working directory /nonexistent-dir"), std::string::npos) << e.what();
    }
}

TEST(Spawn, PassesListenFdsFromThreeWithListenPid) {
    int out[2], payload[2];
    ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(payload, O_CLOEXEC), 0);
    ASSERT_EQ(write(payload[1], "hello", 5), 5);
    close(payload[1]);
    auto r = shell("echo pid=$$ listen_pid=$LISTEN_PID; cat <&3; echo; ls /proc/self/fd | wc -l");
    r.stdout_fd = out[1];
    r.pass_fds = {payload[0]};
    r.set_listen_pid = true;
    auto p = spawn(r);
    close(out[1]);
    close(payload[0]);
    std::string text = read_all(out[0]);
    close(out[0]);
    wait_exit(p);
    std::string pid = std::to_string(p.pid());
    EXPECT_NE(text.find("pid=" + pid + " listen_pid=" + pid), std::string::npos) << text;
    EXPECT_NE(text.find("hello"), std::string::npos) << text;
    // 0, 1, 2, 3 and the fd ls itself opens: nothing else leaked into the child.
    EXPECT_NE(text.find("\n5\n"), std::string::npos) << text;
}

// The child shares the daemon's memory until it execs (clone3_vfork): what it changes of
// itself must stay its own.
TEST(Spawn, ChildStartsWithNoBlockedOrIgnoredSignalAndTheCallerKeepsItsMask) {
    sigset_t usr1, before;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &usr1, &before), 0);
    struct sigaction ignore{}, old_usr2{};
    ignore.sa_handler = SIG_IGN;
    ASSERT_EQ(sigaction(SIGUSR2, &ignore, &old_usr2), 0);
    std::string text = output_of(shell("grep -E '^Sig(Blk|Ign):' /proc/self/status | tr -d '\\t '"));
    sigset_t now;
    pthread_sigmask(SIG_SETMASK, nullptr, &now);
    EXPECT_TRUE(sigismember(&now, SIGUSR1));
    EXPECT_FALSE(sigismember(&now, SIGTERM));
    struct sigaction usr2_now{};
    sigaction(SIGUSR2, nullptr, &usr2_now);
    EXPECT_EQ(usr2_now.sa_handler, SIG_IGN);
    sigaction(SIGUSR2, &old_usr2, nullptr);
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
    EXPECT_EQ(text, "SigBlk:0000000000000000\nSigIgn:0000000000000000\n");
}

TEST(Spawn, DroppingPrivilegesInTheChildLeavesEveryThreadOfTheCallerAlone) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to switch users";
    std::atomic<pid_t> tid{0};
    std::atomic<bool> done{false};
    std::thread other([&] {
        tid = gettid();
        while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    });
    while (!tid) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    SpawnRequest r = shell("id -u");
    r.credentials = lookup_credentials("nobody", "");
    std::string text = output_of(r);
    EXPECT_EQ(text, std::to_string(r.credentials->uid) + "\n");
    EXPECT_EQ(geteuid(), 0u);
    std::ifstream status("/proc/self/task/" + std::to_string(tid.load()) + "/status");
    std::string line, uid_line;
    while (std::getline(status, line))
        if (line.rfind("Uid:", 0) == 0) uid_line = line;
    done = true;
    other.join();
    EXPECT_EQ(uid_line, "Uid:\t0\t0\t0\t0");
}

TEST(ResolveExecutable, SearchesPathAndNamesWhatWasSearched) {
    EXPECT_EQ(resolve_executable("sh", "/", {"PATH=/bin"}), "/bin/sh");
    try {
        resolve_executable("no-such-command-xyz", "/", {"PATH=/bin:/usr/bin"});
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("not found in PATH (/bin:/usr/bin)"), std::string::npos) << e.what();
    }
}

TEST(LookupCredentials, UnknownUserIsAnError) {
    EXPECT_THROW(lookup_credentials("no-such-user-xyz", ""), Error);
    auto root = lookup_credentials("root", "");
    EXPECT_EQ(root.uid, 0u);
}

}  // namespace pmd
