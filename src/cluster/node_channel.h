// PM2's IPC channel to a Node app: the `ipc` stdio of child_process. Node takes the fd named
// by NODE_CHANNEL_FD (one end of a socketpair) as process.channel, so process.send() works
// and process.connected is true; with NODE_CHANNEL_SERIALIZATION_MODE=json each message is
// one line of JSON. pmd reads those lines on its loop (process.send('ready') is readiness,
// like READY=1) and can write to the app ('shutdown', PM2's shutdown_with_message).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "base/unique_fd.h"
#include "event/event_loop.h"

namespace pmd {

class NodeChannel {
public:
    // A message the app sent that is a JSON string (process.send('ready')); other values
    // (objects of PM2's bus, node's internal messages) are not for pmd and are skipped.
    using OnMessage = std::function<void(const std::string&)>;

    // The channel and the end the child gets (its NODE_CHANNEL_FD). Throws Error(Failed).
    static std::pair<std::unique_ptr<NodeChannel>, UniqueFd> open(EventLoop& loop, OnMessage on_message);
    // pmd's end handed over by the previous pmd (re-exec); unread messages are still in it.
    static std::unique_ptr<NodeChannel> adopt(EventLoop& loop, UniqueFd fd, OnMessage on_message);
    ~NodeChannel();

    int fd() const { return fd_.get(); }

    // Sends one message as node's json serialization frames it: the JSON text and a newline.
    // False when the app's end is closed or its buffer is full (the message is not sent).
    bool send_string(std::string_view text);

private:
    NodeChannel(EventLoop& loop, UniqueFd fd, OnMessage on_message);
    void on_readable();

    UniqueFd fd_;
    EventSource io_;
    std::string partial_;  // a line not yet ended by '\n'
    OnMessage on_message_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace pmd
