#include "config/listen_address.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pmd {
namespace {

using ::testing::HasSubstr;
using Family = ParsedListenAddress::Family;

TEST(ListenAddress, ParsesTcpTcp6AndUnix) {
    std::string why;
    auto tcp = parse_listen_address("tcp:0.0.0.0:8080", &why);
    ASSERT_TRUE(tcp);
    EXPECT_EQ(tcp->family, Family::Tcp);
    EXPECT_EQ(tcp->host, "0.0.0.0");
    EXPECT_EQ(tcp->port, 8080);
    auto tcp6 = parse_listen_address("tcp6:[::1]:443", &why);
    ASSERT_TRUE(tcp6);
    EXPECT_EQ(tcp6->family, Family::Tcp6);
    EXPECT_EQ(tcp6->host, "::1");
    EXPECT_EQ(tcp6->port, 443);
    auto unix_socket = parse_listen_address("unix:/run/app.sock", &why);
    ASSERT_TRUE(unix_socket);
    EXPECT_EQ(unix_socket->family, Family::Unix);
    EXPECT_EQ(unix_socket->path, "/run/app.sock");
    EXPECT_TRUE(parse_listen_address("unix:@abstract", &why));
    EXPECT_TRUE(parse_listen_address("tcp:localhost:1", &why));
}

TEST(ListenAddress, RejectsMalformedAddressesWithAReason) {
    std::string why;
    EXPECT_FALSE(parse_listen_address("0.0.0.0:8080", &why));
    EXPECT_THAT(why, HasSubstr("expected \"tcp:HOST:PORT\""));
    EXPECT_FALSE(parse_listen_address("tcp:0.0.0.0:0", &why));
    EXPECT_THAT(why, HasSubstr("port"));
    EXPECT_FALSE(parse_listen_address("tcp:0.0.0.0:65536", &why));
    EXPECT_FALSE(parse_listen_address("tcp::::1:80", &why));
    EXPECT_THAT(why, HasSubstr("tcp6"));
    EXPECT_FALSE(parse_listen_address("tcp6:::1:80", &why));
    EXPECT_THAT(why, HasSubstr("brackets"));
    EXPECT_FALSE(parse_listen_address("unix:relative.sock", &why));
    EXPECT_FALSE(parse_listen_address("unix:/" + std::string(200, 'x'), &why));
    EXPECT_THAT(why, HasSubstr("longer than"));
}

TEST(ListenAddress, FdNamesFollowSdListenFdsRules) {
    EXPECT_TRUE(is_valid_fd_name("http"));
    EXPECT_FALSE(is_valid_fd_name(""));
    EXPECT_FALSE(is_valid_fd_name("a:b"));
    EXPECT_FALSE(is_valid_fd_name("a b"));
    EXPECT_FALSE(is_valid_fd_name(std::string(256, 'a')));
}

}  // namespace
}  // namespace pmd
