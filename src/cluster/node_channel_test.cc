#include "cluster/node_channel.h"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <vector>

namespace pmd {
namespace {

using namespace std::chrono_literals;

void put(const UniqueFd& fd, std::string_view text) {
    ASSERT_EQ(::send(fd.get(), text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
}

// Node's json serialization: one JSON value per line. String messages reach pmd, whole or
// split across reads; objects (PM2's bus, node's internal messages) do not.
TEST(NodeChannelTest, DeliversStringMessagesLineByLine) {
    EventLoop loop;
    std::vector<std::string> got;
    UniqueFd app;
    auto [channel, child_end] = NodeChannel::open(loop, [&](const std::string& message) {
        got.push_back(message);
        if (message == "ready") put(app, "tial\"\n");  // the rest of a line the loop has half read
        if (got.size() == 2) loop.exit(0);
    });
    app = std::move(child_end);
    put(app, "{\"cmd\":\"NODE_HANDLE_ACK\"}\n\"ready\"\n\"par");
    auto deadline = loop.add_timer(10s, [&] { loop.exit(1); });
    EXPECT_EQ(loop.run(), 0);
    EXPECT_EQ(got, (std::vector<std::string>{"ready", "partial"}));
}

TEST(NodeChannelTest, SendsAMessageAsOneJsonLine) {
    EventLoop loop;
    auto [channel, app] = NodeChannel::open(loop, [](const std::string&) {});
    ASSERT_TRUE(channel->send_string("shutdown"));
    char buf[64] = {};
    ssize_t n = ::recv(app.get(), buf, sizeof buf, 0);
    EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "\"shutdown\"\n");
    app.reset();
    EXPECT_FALSE(channel->send_string("shutdown")) << "the app's end is closed";
}

}  // namespace
}  // namespace pmd
