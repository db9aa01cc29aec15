// AppObject's logs and live figures: where the app's lines go (LogFiles, LogSinks), what could
// not be delivered (DroppedLines), and per-instance figures (Figures) announced once a second
// while a client watches (bus/figures_clock.h).
#include <sdbus-c++/sdbus-c++.h>

#include "bus/app_object.h"
#include "bus/bus_errors.h"

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

}  // namespace pmd
