#include "cluster/shared_socket_pool.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace pmd {
namespace {

class SharedSocketPoolTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("pmd-pool-test-" + std::to_string(getpid()));
        std::filesystem::create_directories(dir_);
        path_ = (dir_ / "app.sock").string();
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // A unix socket bound at path_, as an instance's bind() would leave it, and its key.
    std::pair<UniqueFd, SocketAddressKey> bound() {
        UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        struct sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::memcpy(a.sun_path, path_.data(), path_.size());
        EXPECT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << std::strerror(errno);
        auto key = bound_address_key(fd.get());
        EXPECT_TRUE(key);
        return {std::move(fd), *key};
    }

    std::filesystem::path dir_;
    std::string path_;
};

TEST_F(SharedSocketPoolTest, DeleteRemovesTheSocketFileTheAppCreated) {
    {
        SharedSocketPool pool;
        auto [fd, key] = bound();
        pool.keep(key, std::move(fd));
        EXPECT_NE(pool.find(key), nullptr);
        EXPECT_EQ(pool.fds().size(), 1u);
    }
    EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(SharedSocketPoolTest, AnUnlinkedPathIsDroppedAndWhatReplacedItIsLeftAlone) {
    {
        SharedSocketPool pool;
        auto [fd, key] = bound();
        pool.keep(key, std::move(fd));
        // Someone removed the socket file: the kept socket cannot be reached any more.
        std::filesystem::remove(path_);
        EXPECT_EQ(pool.find(key), nullptr);
        EXPECT_TRUE(pool.fds().empty());
    }
    {
        SharedSocketPool pool;
        auto [fd, key] = bound();
        pool.keep(key, std::move(fd));
        std::filesystem::remove(path_);
        std::ofstream(path_) << "not a socket\n";
    }
    EXPECT_TRUE(std::filesystem::exists(path_)) << "the pool removed a file it did not create";
}

}  // namespace
}  // namespace pmd
