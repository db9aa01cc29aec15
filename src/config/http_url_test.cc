#include "config/http_url.h"

#include <arpa/inet.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace pmd {
namespace {

using ::testing::HasSubstr;

TEST(HttpUrl, IpLiteralsOrLocalhost) {
    auto t = parse_http_url("http://127.0.0.1:8080/health?x=1");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->path, "/health?x=1");
    EXPECT_EQ(t->host, "127.0.0.1:8080");
    EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in*>(&t->address)->sin_port), 8080);
    t = parse_http_url("http://[::1]/");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->address.ss_family, AF_INET6);
    EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in6*>(&t->address)->sin6_port), 80);
    t = parse_http_url("http://localhost:3000");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->path, "/");
    std::string why;
    EXPECT_FALSE(parse_http_url("https://127.0.0.1/", &why));
    EXPECT_THAT(why, HasSubstr("https is not supported"));
    EXPECT_FALSE(parse_http_url("http://example.com/", &why));
    EXPECT_THAT(why, HasSubstr("does not resolve names"));
    EXPECT_FALSE(parse_http_url("http://127.0.0.1:99999/", &why));
}

}  // namespace
}  // namespace pmd
