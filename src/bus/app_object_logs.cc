// AppObject's logs and live figures: where the app's lines go (LogFiles, LogSinks), what could
// not be delivered (DroppedLines), and per-instance figures (Figures) announced once a second
// while a client watches (bus/figures_clock.h).
#include <sdbus-c++/sdbus-c++.h>

#include "bus/app_object.h"
#include "bus/bus_errors.h"
#include "bus/caller.h"

namespace pmd {

std::vector<sdbus::Struct<std::string, int32_t, std::string>> AppObject::LogFiles() {
    return guarded([&] {
        app();  // NoSuchApp if gone
        std::vector<sdbus::Struct<std::string, int32_t, std::string>> out;
        for (const auto& f : manager_.output().info(name_).files) out.emplace_back(f.stream, f.instance, f.path);
        return out;
    });
}

std::vector<std::string> AppObject::LogSinks() {
    return guarded([&] {
        app();
        return manager_.output().info(name_).sinks;
    });
}

uint64_t AppObject::DroppedLines() {
    return guarded([&] {
        app();
        return manager_.output().info(name_).dropped_lines;
    });
}

std::vector<std::map<std::string, sdbus::Variant>> AppObject::Figures() {
    figures_clock_.wanted();
    return guarded([&] {
        const App& a = app();
        std::vector<std::map<std::string, sdbus::Variant>> out;
        for (const auto& instance : a.instances) {
            InstanceStats s = manager_.stats(a, *instance);
            std::map<std::string, sdbus::Variant> d;
            d["index"] = sdbus::Variant(static_cast<uint32_t>(instance->index));
            d["state"] = sdbus::Variant(state_name(instance->state));
            d["pid"] = sdbus::Variant(static_cast<int32_t>(instance->process ? instance->process.pid() : 0));
            d["cpu_percent"] = sdbus::Variant(s.cpu_percent);
            d["memory_bytes"] = sdbus::Variant(s.memory_bytes);
            d["processes"] = sdbus::Variant(s.processes);
            d["restarts"] = sdbus::Variant(instance->restarts);
            d["uptime_ms"] = sdbus::Variant(s.uptime_ms);
            out.push_back(std::move(d));
        }
        return out;
    });
}

void AppObject::emit_figures() {
    send_quietly("PropertiesChanged",
                 [&] { emitPropertiesChangedSignal(org::pmd::God1::App_adaptor::INTERFACE_NAME, {"Figures", "DroppedLines"}); });
}

namespace {

using BusLine = sdbus::Struct<uint64_t, uint64_t, uint32_t, std::string, std::string>;

std::vector<BusLine> bus_lines(const std::vector<TailLine>& lines) {
    std::vector<BusLine> out;
    out.reserve(lines.size());
    for (const auto& l : lines)
        out.emplace_back(l.time_usec, l.seq, static_cast<uint32_t>(l.instance), std::string(l.stream == LogStream::Out ? "out" : "err"),
                         l.text);
    return out;
}

}  // namespace

std::vector<BusLine> AppObject::Logs(const std::string& stream, const uint32_t& count) {
    return guarded([&] {
        require_app_manager(getObject(), manager_, name_, "read the logs of");
        std::optional<LogStream> which;
        if (stream == "out") which = LogStream::Out;
        else if (stream == "err") which = LogStream::Err;
        else if (!stream.empty())
            throw Error(Error::Kind::InvalidSpec, "no log stream '" + stream + "': \"out\", \"err\" or \"\" (both)");
        app();
        return bus_lines(manager_.output().recent_lines(name_, which, count ? count : SIZE_MAX));
    });
}

uint32_t AppObject::WatchLogs() {
    return guarded([&] {
        require_app_manager(getObject(), manager_, name_, "watch the logs of");
        app();
        log_watch_.watch(name_, getObject().getCurrentlyProcessedMessage()->getSender());
        return static_cast<uint32_t>(LogWatch::kLease.count());
    });
}

void AppObject::UnwatchLogs() {
    guarded([&] { log_watch_.unwatch(name_, getObject().getCurrentlyProcessedMessage()->getSender()); });
}

void AppObject::emit_log_lines(const std::vector<std::string>& clients, const std::vector<TailLine>& lines, uint64_t skipped) {
    auto payload = bus_lines(lines);
    for (const auto& client : clients)
        send_quietly("LogLines", [&] {
            auto signal = getObject().createSignal(org::pmd::God1::App_adaptor::INTERFACE_NAME, "LogLines");
            signal.setDestination(client);
            signal << payload << skipped;
            signal.send();
        });
}

}  // namespace pmd
