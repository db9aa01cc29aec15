#include "cluster/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>

#include <gtest/gtest.h>

namespace pmd {
namespace {

std::optional<SocketAddressKey> inet(const char* ip, uint16_t port) {
    struct sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return socket_address_key(reinterpret_cast<sockaddr*>(&a), sizeof a);
}

std::optional<SocketAddressKey> unix_name(const std::string& name, bool abstract = false) {
    struct sockaddr_un a{};
    a.sun_family = AF_UNIX;
    size_t offset = abstract ? 1 : 0;
    std::memcpy(a.sun_path + offset, name.data(), name.size());
    // Programs pass either the exact length or the whole struct for a pathname.
    socklen_t len = abstract ? static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size()) : sizeof a;
    return socket_address_key(reinterpret_cast<sockaddr*>(&a), len);
}

TEST(SocketAddressKey, SameAddressSameKeyAndReadableText) {
    auto a = inet("0.0.0.0", 8080), b = inet("0.0.0.0", 8080), c = inet("127.0.0.1", 8080), d = inet("0.0.0.0", 8081);
    ASSERT_TRUE(a && b && c && d);
    EXPECT_EQ(a->key, b->key);
    EXPECT_NE(a->key, c->key);
    EXPECT_NE(a->key, d->key);
    EXPECT_EQ(a->text, "tcp:0.0.0.0:8080");
    EXPECT_EQ(a->port, 8080);

    struct sockaddr_in6 six{};
    six.sin6_family = AF_INET6;
    six.sin6_port = htons(8080);
    six.sin6_addr = in6addr_any;
    auto s = socket_address_key(reinterpret_cast<sockaddr*>(&six), sizeof six);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->text, "tcp6:[::]:8080");
    EXPECT_NE(s->key, a->key);
}

TEST(SocketAddressKey, UnixPathsAndAbstractNames) {
    auto p = unix_name("/run/app.sock");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->text, "unix:/run/app.sock");
    EXPECT_EQ(p->unix_path, "/run/app.sock");
    auto q = unix_name("app", true);
    ASSERT_TRUE(q);
    EXPECT_EQ(q->text, "unix:@app");
    EXPECT_TRUE(q->unix_path.empty());
    EXPECT_NE(p->key, q->key);
}

TEST(SocketAddressKey, WhatIsNeverShared) {
    EXPECT_FALSE(inet("0.0.0.0", 0)) << "port 0: the kernel picks one per socket";
    struct sockaddr_un autobind{};
    autobind.sun_family = AF_UNIX;
    EXPECT_FALSE(socket_address_key(reinterpret_cast<sockaddr*>(&autobind), sizeof(sa_family_t)));
    struct sockaddr_in shortened{};
    shortened.sin_family = AF_INET;
    EXPECT_FALSE(socket_address_key(reinterpret_cast<sockaddr*>(&shortened), 4));
    EXPECT_FALSE(socket_address_key(nullptr, 0));
}

}  // namespace
}  // namespace pmd
