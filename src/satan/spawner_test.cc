#include "satan/spawner.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

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
