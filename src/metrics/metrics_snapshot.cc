#include "metrics/metrics_snapshot.h"

#include <charconv>
#include <cmath>

#include "cgroup/resource_usage.h"
#include "god/manager.h"

namespace pmd {

MetricsSnapshot collect_metrics(Manager& manager, const OutputRouter& output) {
    MetricsSnapshot snap;
    for (const App* app : manager.apps()) {
        AppMetrics a;
        a.name = app->spec.name;
        AppLogInfo logs = output.info(a.name);
        a.log_lines = logs.lines;
        a.log_dropped_lines = logs.dropped_lines;
        for (const auto& instance : app->instances) {
            InstanceStats s = manager.stats(*app, *instance);
            InstanceMetrics m;
            m.index = instance->index;
            m.up = instance->state == InstanceState::Online;
            m.memory_bytes = s.memory_bytes;
            m.cpu_seconds = static_cast<double>(s.cpu_total_nsec) / 1e9;
            m.restarts = instance->restarts;
            m.processes = s.processes;
            m.uptime_seconds = static_cast<double>(s.uptime_ms) / 1e3;
            if (app->spec.health_check.type != HealthCheck::Type::None)
                m.healthy = instance->health && instance->health->health() == Health::Healthy ? 1 : 0;
            if (auto io = instance->scope ? instance->scope->io_usage() : std::nullopt) {
                m.io = true;
                m.io_read_bytes = io->read_bytes;
                m.io_write_bytes = io->write_bytes;
            }
            a.instances.push_back(m);
        }
        snap.apps.push_back(std::move(a));
    }
    return snap;
}

namespace {

// Label values escape backslash, double quote and newline (exposition format).
std::string label(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

// The shortest text that reads back as the same double (as Prometheus' own clients print),
// with the exposition format's spellings of the non-finite values.
std::string number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, ec == std::errc() ? end : buf);
}

}  // namespace

std::string render_prometheus(const MetricsSnapshot& snap) {
    std::string out;
    auto header = [&](const char* name, const char* type, const char* help) {
        out.append("# HELP ").append(name).append(" ").append(help).append("\n");
        out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    };
    auto per_instance = [&](const char* name, const char* type, const char* help, auto value) {
        header(name, type, help);
        for (const auto& app : snap.apps)
            for (const auto& i : app.instances)
                out.append(name).append("{app=\"").append(label(app.name)).append("\",instance=\"")
                    .append(std::to_string(i.index)).append("\"} ").append(number(value(i))).append("\n");
    };
    auto per_app = [&](const char* name, const char* type, const char* help, auto value) {
        header(name, type, help);
        for (const auto& app : snap.apps)
            out.append(name).append("{app=\"").append(label(app.name)).append("\"} ").append(number(value(app))).append("\n");
    };
    header("pmd_apps", "gauge", "Apps pmd manages.");
    out.append("pmd_apps ").append(std::to_string(snap.apps.size())).append("\n");
    per_instance("pmd_instance_up", "gauge", "1 if the instance is online.", [](const InstanceMetrics& i) { return i.up ? 1.0 : 0.0; });
    per_instance("pmd_instance_memory_bytes", "gauge", "Memory of the instance's processes (cgroup memory.current, or RSS from /proc).",
                 [](const InstanceMetrics& i) { return static_cast<double>(i.memory_bytes); });
    per_instance("pmd_instance_cpu_seconds_total", "counter", "CPU time used by the instance's processes.",
                 [](const InstanceMetrics& i) { return i.cpu_seconds; });
    per_instance("pmd_instance_restarts_total", "counter", "Restarts of the instance slot.",
                 [](const InstanceMetrics& i) { return static_cast<double>(i.restarts); });
    per_instance("pmd_instance_processes", "gauge", "Processes in the instance's cgroup.",
                 [](const InstanceMetrics& i) { return static_cast<double>(i.processes); });
    per_instance("pmd_instance_uptime_seconds", "gauge", "Time since the instance was started.",
                 [](const InstanceMetrics& i) { return i.uptime_seconds; });
    // Only instances of apps with a health_check have the series (absent is not "unhealthy").
    header("pmd_instance_healthy", "gauge", "1 if the instance's health check passes, 0 while starting or unhealthy.");
    for (const auto& app : snap.apps)
        for (const auto& i : app.instances)
            if (i.healthy >= 0)
                out.append("pmd_instance_healthy{app=\"").append(label(app.name)).append("\",instance=\"")
                    .append(std::to_string(i.index)).append("\"} ").append(std::to_string(i.healthy)).append("\n");
    // Only where io.stat exists (the io controller): a series of zeros would read as "no io".
    auto per_io_instance = [&](const char* name, const char* help, auto value) {
        header(name, "counter", help);
        for (const auto& app : snap.apps)
            for (const auto& i : app.instances)
                if (i.io)
                    out.append(name).append("{app=\"").append(label(app.name)).append("\",instance=\"")
                        .append(std::to_string(i.index)).append("\"} ").append(std::to_string(value(i))).append("\n");
    };
    per_io_instance("pmd_instance_io_read_bytes_total", "Bytes the instance's cgroup read from block devices (io.stat rbytes).",
                    [](const InstanceMetrics& i) { return i.io_read_bytes; });
    per_io_instance("pmd_instance_io_write_bytes_total", "Bytes the instance's cgroup wrote to block devices (io.stat wbytes).",
                    [](const InstanceMetrics& i) { return i.io_write_bytes; });
    per_app("pmd_log_lines_total", "counter", "Lines read from the app's stdout and stderr.",
            [](const AppMetrics& a) { return static_cast<double>(a.log_lines); });
    per_app("pmd_log_dropped_lines_total", "counter", "Lines pmd read but could not deliver to a sink (full disk, stuck reader).",
            [](const AppMetrics& a) { return static_cast<double>(a.log_dropped_lines); });
    return out;
}

}  // namespace pmd
