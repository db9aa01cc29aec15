#include "daemon/recent_log.h"

#include <spdlog/sinks/ringbuffer_sink.h>

namespace pmd {
namespace {

std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> ring() {
    static auto sink = [] {
        auto s = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(50);
        s->set_level(spdlog::level::warn);
        s->set_pattern("%Y-%m-%d %H:%M:%S %l: %v");
        return s;
    }();
    return sink;
}

}  // namespace

std::shared_ptr<spdlog::sinks::sink> recent_log_sink() { return ring(); }

std::vector<std::string> recent_log_lines() { return ring()->last_formatted(); }

}  // namespace pmd
