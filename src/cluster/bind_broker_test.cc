// The broker and the preload library together, without pmd: the library is dlopen()ed and its
// bind() called here, as an instance's would be, while the broker runs on a loop thread.
#include "cluster/bind_broker.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cluster/bind_protocol.h"
#include "event/loop_exit.h"

namespace pmd {
namespace {

using BindFn = int (*)(int, const struct sockaddr*, socklen_t);

struct sockaddr_in loopback(uint16_t port) {
    struct sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

uint16_t port_of(int fd) {
    struct sockaddr_in a{};
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
}

ino_t inode_of(int fd) {
    struct stat st{};
    fstat(fd, &st);
    return st.st_ino;
}

// A free port: bound by the kernel's choice, then released.
uint16_t free_port() {
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    auto a = loopback(0);
    bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
    return port_of(fd.get());
}

class BindBrokerTest : public ::testing::Test {
protected:
    void SetUp() override {
        library_ = dlopen(PMD_CLUSTER_PRELOAD_FILE, RTLD_NOW | RTLD_LOCAL);
        ASSERT_NE(library_, nullptr) << dlerror();
        preload_bind_ = reinterpret_cast<BindFn>(dlsym(library_, "bind"));
        ASSERT_NE(preload_bind_, nullptr);
        dir_ = std::filesystem::temp_directory_path() / ("pmd-broker-test-" + std::to_string(getpid()));
        std::filesystem::create_directories(dir_);
        broker_ = std::make_unique<BindBroker>(
            loop_, (dir_ / "cluster").string(),
            [this](pid_t) {
                if (stranger_) return BindBroker::Asker{};
                BindBroker::Asker asker{pool_, {}};
                if (int fd = prebound_; fd >= 0) asker.prebound.push_back(fd);
                return asker;
            },
            [](pid_t) {});
        setenv(PMD_CLUSTER_SOCKET_ENV, broker_->path().c_str(), 1);
        exit_ = std::make_unique<LoopExit>(loop_);
        thread_ = std::thread([this] { loop_.run(); });
    }
    void TearDown() override {
        if (thread_.joinable()) {
            exit_->signal();
            thread_.join();
        }
        unsetenv(PMD_CLUSTER_SOCKET_ENV);
        broker_.reset();
        std::filesystem::remove_all(dir_);
        if (library_) dlclose(library_);
    }

    // bind() through the library, on a fresh TCP socket.
    UniqueFd bind_through_library(uint16_t port, int* error) {
        UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        auto a = loopback(port);
        errno = 0;
        *error = preload_bind_(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? 0 : errno;
        return fd;
    }

    std::shared_ptr<SharedSocketPool> pool_ = std::make_shared<SharedSocketPool>();  // used on the loop thread only
    // Set by the test thread before the bind that the loop thread answers with them.
    std::atomic<int> prebound_{-1};
    std::atomic<bool> stranger_{false};

    EventLoop loop_;
    std::unique_ptr<BindBroker> broker_;
    std::unique_ptr<LoopExit> exit_;
    std::thread thread_;
    void* library_ = nullptr;
    BindFn preload_bind_ = nullptr;
    std::filesystem::path dir_;
};

TEST_F(BindBrokerTest, LaterBindsOfAnAddressGetTheFirstOnesSocket) {
    uint16_t port = free_port();
    int error = -1;
    UniqueFd first = bind_through_library(port, &error);
    ASSERT_EQ(error, 0) << std::strerror(error);
    ASSERT_EQ(listen(first.get(), 16), 0);
    // Without the library this bind is EADDRINUSE; with it, it is the same socket.
    UniqueFd second = bind_through_library(port, &error);
    ASSERT_EQ(error, 0) << std::strerror(error);
    EXPECT_EQ(inode_of(second.get()), inode_of(first.get()));
    EXPECT_EQ(port_of(second.get()), port);
    EXPECT_EQ(fcntl(second.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC) << "the app's close-on-exec choice is kept";
    EXPECT_EQ(listen(second.get(), 16), 0);
}

TEST_F(BindBrokerTest, AStrangerBindsAloneAsWithoutPmd) {
    stranger_ = true;
    uint16_t port = free_port();
    int error = -1;
    UniqueFd first = bind_through_library(port, &error);
    ASSERT_EQ(error, 0);
    ASSERT_EQ(listen(first.get(), 16), 0);
    UniqueFd second = bind_through_library(port, &error);
    EXPECT_EQ(error, EADDRINUSE);
}

TEST_F(BindBrokerTest, AnAddressOfListenGetsThePreboundSocket) {
    uint16_t port = free_port();
    UniqueFd listening(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    auto a = loopback(port);
    ASSERT_EQ(bind(listening.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(listen(listening.get(), 16), 0);
    prebound_ = listening.get();
    int error = -1;
    UniqueFd taken = bind_through_library(port, &error);
    ASSERT_EQ(error, 0) << std::strerror(error);
    EXPECT_EQ(inode_of(taken.get()), inode_of(listening.get()));
}

// A socket on a privileged port that a root instance bound is not handed to an instance
// without CAP_NET_BIND_SERVICE: its bind fails with EACCES, as the kernel's own would.
TEST_F(BindBrokerTest, APrivilegedPortIsRefusedToAnInstanceThatCouldNotBindIt) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to hold a privileged port";
    uint16_t start = unprivileged_port_start();
    if (start < 2) GTEST_SKIP() << "no privileged ports on this host";
    // A free privileged port: bound here as root and released.
    uint16_t port = 0;
    for (uint16_t p = start - 1; p > 0 && !port; --p) {
        UniqueFd probe(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        auto a = loopback(p);
        if (bind(probe.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) port = p;
    }
    ASSERT_NE(port, 0);
    int error = -1;
    UniqueFd first = bind_through_library(port, &error);
    ASSERT_EQ(error, 0) << std::strerror(error);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // nobody, without capabilities: the kernel would say EACCES; the broker must too.
        if (setgid(65534) != 0 || setuid(65534) != 0) _exit(100);
        int child_error = -1;
        UniqueFd mine = bind_through_library(port, &child_error);
        _exit(child_error);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), EACCES) << std::strerror(WEXITSTATUS(status));
}

TEST_F(BindBrokerTest, PortZeroIsNeverShared) {
    int error = -1;
    UniqueFd a = bind_through_library(0, &error);
    ASSERT_EQ(error, 0);
    UniqueFd b = bind_through_library(0, &error);
    ASSERT_EQ(error, 0);
    EXPECT_NE(port_of(a.get()), port_of(b.get()));
}

}  // namespace
}  // namespace pmd
