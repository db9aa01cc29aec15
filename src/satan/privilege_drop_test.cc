// What a spawned child gets and does not get from pmd: only its stdio and passed fds, its own
// environment, the configured umask, rlimits and no_new_privs, and (as root) exactly the
// credentials asked for.
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "base/unique_fd.h"
#include "satan/spawner.h"

namespace pmd {
namespace {

// Runs `script` in /bin/sh with the request's other settings; returns its stdout.
std::string run_shell(SpawnRequest r, const std::string& script) {
    r.path = "/bin/sh";
    r.argv = {"sh", "-c", script};
    if (r.env.empty()) r.env = {"PATH=/usr/bin:/bin"};
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
    UniqueFd read_end(p[0]), write_end(p[1]);
    r.stdout_fd = write_end.get();
    ProcessRef child = spawn(r);
    write_end.reset();
    std::string out;
    char buf[512];
    while (true) {
        struct pollfd pfd{read_end.get(), POLLIN, 0};
        EXPECT_EQ(poll(&pfd, 1, 10'000), 1) << "no output within 10 s";
        ssize_t n = read(read_end.get(), buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    struct pollfd pfd{child.pidfd(), POLLIN, 0};
    EXPECT_EQ(poll(&pfd, 1, 10'000), 1);
    child.try_reap();
    return out;
}

}  // namespace

TEST(PrivilegeDrop, ChildSeesOnlyStdioAndPassedFds) {
    // Inheritable fds in pmd (no O_CLOEXEC), as a library might leave behind.
    UniqueFd leaked1(open("/dev/null", O_RDONLY));
    UniqueFd leaked2(open("/etc/passwd", O_RDONLY));
    UniqueFd passed(open("/dev/zero", O_RDONLY));
    ASSERT_TRUE(leaked1 && leaked2 && passed);
    SpawnRequest r;
    r.pass_fds = {passed.get()};
    // $$ is the shell itself, listed by a child ls while the shell waits for it; ls's own
    // directory fd belongs to ls, not to the app. No pipeline: while a shell sets one up it
    // holds the pipe's fds itself, so a pipeline here would list them on some runs. The
    // trailing `true` keeps the shell from exec'ing ls in its own place.
    std::string fds = run_shell(r, "ls /proc/$$/fd; true");
    EXPECT_EQ(fds, "0\n1\n2\n3\n");
}

TEST(PrivilegeDrop, EnvironmentIsExactlyTheRequested) {
    setenv("PMD_TEST_SECRET_OF_THE_DAEMON", "x", 1);
    SpawnRequest r;
    r.env = {"PATH=/usr/bin:/bin", "ONLY_THIS=1"};
    std::string env = run_shell(r, "env | grep -v '^PWD=' | grep -v '^SHLVL=' | grep -v '^_=' | sort | tr '\\n' ' '");
    unsetenv("PMD_TEST_SECRET_OF_THE_DAEMON");
    EXPECT_EQ(env, "ONLY_THIS=1 PATH=/usr/bin:/bin ");
}

TEST(PrivilegeDrop, UmaskRlimitsAndNoNewPrivsApply) {
    SpawnRequest r;
    r.umask = 027;
    r.no_new_privs = true;
    r.rlimits = {{RLIMIT_NOFILE, 123}, {RLIMIT_CORE, 0}};
    std::string out = run_shell(r, "umask; ulimit -n; ulimit -c; grep NoNewPrivs /proc/self/status | tr -d '\\t '");
    EXPECT_EQ(out, "0027\n123\n0\nNoNewPrivs:1\n");
}

TEST(PrivilegeDrop, WithoutNoNewPrivsTheFlagIsClear) {
    std::string out = run_shell(SpawnRequest{}, "grep NoNewPrivs /proc/self/status | tr -d '\\t '");
    EXPECT_EQ(out, "NoNewPrivs:0\n");
}

TEST(PrivilegeDrop, RootDropsToTheUserWithExactlyItsGroups) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to switch users";
    Credentials c = lookup_credentials("nobody", "");
    SpawnRequest r;
    r.credentials = c;
    std::string out = run_shell(r, "grep -E '^(Uid|Gid|Groups):' /proc/self/status | tr -s '\\t ' ' '");
    std::string id = std::to_string(c.uid), gid = std::to_string(c.gid);
    std::string groups;
    for (gid_t g : c.groups) groups += std::to_string(g) + " ";
    EXPECT_EQ(out, "Uid: " + id + " " + id + " " + id + " " + id + "\nGid: " + gid + " " + gid + " " + gid + " " + gid +
                       "\nGroups: " + groups + "\n");
}

}  // namespace pmd
