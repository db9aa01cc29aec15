#include "event/loop_relay.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "base/error.h"

namespace pmd {

LoopRelay::LoopRelay(EventLoop& loop, std::function<std::string()> handler)
    : handler_(std::move(handler)), wakeup_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!wakeup_) throw Error(Error::Kind::Failed, std::string("cannot create an eventfd: ") + std::strerror(errno));
    watch_ = loop.add_io(wakeup_.get(), EPOLLIN, [this](uint32_t) { answer_pending(); });
}

LoopRelay::~LoopRelay() { close(); }

void LoopRelay::close() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        pending_.clear();
    }
    answered_.notify_all();
    watch_.reset();
}

size_t LoopRelay::waiting() const {
    std::lock_guard lock(mutex_);
    return pending_.size();
}

std::optional<std::string> LoopRelay::call(std::chrono::milliseconds timeout) {
    auto request = std::make_shared<Request>();
    std::unique_lock lock(mutex_);
    if (closed_) return std::nullopt;
    pending_.push_back(request);
    uint64_t one = 1;
    // Only EAGAIN can fail it: the counter is at its maximum, so the loop is woken already.
    [[maybe_unused]] ssize_t n = ::write(wakeup_.get(), &one, sizeof one);
    answered_.wait_for(lock, timeout, [&] { return request->done || closed_; });
    return request->done ? std::move(request->answer) : std::nullopt;
}

void LoopRelay::answer_pending() {
    uint64_t count = 0;
    [[maybe_unused]] ssize_t n = ::read(wakeup_.get(), &count, sizeof count);
    std::vector<std::shared_ptr<Request>> batch;
    {
        std::lock_guard lock(mutex_);
        batch.swap(pending_);
    }
    if (batch.empty()) return;
    std::optional<std::string> text;
    try {
        text = handler_();
    } catch (const std::exception& e) {
        spdlog::warn("answering another thread's request: {}", e.what());
    }
    {
        std::lock_guard lock(mutex_);
        for (auto& request : batch) {
            request->answer = text;
            request->done = true;
        }
    }
    answered_.notify_all();
}

}  // namespace pmd
