#include "ctl/app_table.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "base/quantity.h"
#include "ctl/variant_json.h"

namespace pmd {
namespace {

template <typename T>
T get_or(const VariantDict& d, const char* key, T fallback) {
    auto it = d.find(key);
    if (it == d.end()) return fallback;
    try {
        return it->second.get<T>();
    } catch (...) {
        return fallback;
    }
}

std::string percent(double value) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", value);
    return buf;
}

using Row = std::vector<std::string>;

std::string layout(const std::vector<Row>& rows) {
    std::vector<size_t> width;
    for (const auto& row : rows)
        for (size_t i = 0; i < row.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], row[i].size());
        }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
        }
        out += line + "\n";
    }
    return out;
}

}  // namespace

std::string render_app_table(const std::vector<VariantDict>& apps) {
    if (apps.empty()) return "No apps. Start one with: pmctl start -n NAME -- COMMAND [ARG...]\n";
    // HEALTH only when some app has a health_check: most listings have none.
    bool any_health = false;
    for (const auto& app : apps)
        for (const auto& inst : get_or<std::vector<VariantDict>>(app, "instances", {})) any_health |= inst.count("health") > 0;
    std::vector<Row> rows{{"NAME", "ID", "PID", "STATE", "READY", "RESTARTS", "UPTIME", "CPU", "MEMORY", "USER", "STATUS"}};
    if (any_health) rows[0].insert(rows[0].begin() + 5, "HEALTH");
    size_t instances_total = 0, online = 0;
    for (const auto& app : apps) {
        auto name = get_or<std::string>(app, "name", "?");
        auto user = get_or<std::string>(app, "user", "");
        auto instances = get_or<std::vector<VariantDict>>(app, "instances", {});
        // An app that never asked for readiness has none to show; a pmd that does not say shows it.
        bool asks_readiness = get_or<bool>(app, "wait_ready", true);
        for (const auto& inst : instances) {
            auto state = get_or<std::string>(inst, "state", "?");
            auto pid = get_or<int32_t>(inst, "pid", 0);
            bool running = state == "online" || state == "stopping";
            ++instances_total;
            online += state == "online";
            std::string id = std::to_string(get_or<uint32_t>(inst, "index", 0));
            if (get_or<bool>(inst, "incoming", false)) id += "+";  // a reload's replacement, not serving yet
            rows.push_back({name, id, pid ? std::to_string(pid) : "-", state,
                            running && asks_readiness ? (get_or<bool>(inst, "ready", false) ? "yes" : "no") : "-",
                            std::to_string(get_or<uint32_t>(inst, "restarts", 0)),
                            running ? format_duration(std::chrono::milliseconds(get_or<uint64_t>(inst, "uptime_ms", 0))) : "-",
                            running ? percent(get_or<double>(inst, "cpu_percent", 0)) : "-",
                            running ? format_size(get_or<uint64_t>(inst, "memory_bytes", 0)) : "-", user,
                            get_or<std::string>(inst, "status", "")});
            if (any_health) {
                auto health = get_or<std::string>(inst, "health", "");
                rows.back().insert(rows.back().begin() + 5, health.empty() ? "-" : health);
            }
        }
    }
    std::ostringstream out;
    out << layout(rows) << "\n"
        << apps.size() << (apps.size() == 1 ? " app, " : " apps, ") << instances_total << " instances, " << online
        << " online.\n";
    return out.str();
}

std::string render_app_description(const VariantDict& p) {
    std::ostringstream out;
    out << "Name: " << get_or<std::string>(p, "Name", "") << "\n"
        << "State: " << get_or<std::string>(p, "State", "") << "\n"
        << "User: " << get_or<std::string>(p, "User", "") << " (created by uid " << get_or<uint32_t>(p, "Owner", 0) << ")\n"
        << "Restarts: " << get_or<uint32_t>(p, "Restarts", 0) << "\n"
        << "Cgroup: " << get_or<std::string>(p, "CgroupPath", "") << "\n"
        << "Figures: " << get_or<std::string>(p, "StatsSource", "") << "\n";
    for (const auto& w : get_or<std::vector<std::string>>(p, "Warnings", {})) out << "Warning: " << w << "\n";
    // Logs: where lines go, and how many pmd could not deliver.
    if (p.count("LogSinks")) {
        out << "Logs:";
        for (const auto& sink : p.at("LogSinks").get<std::vector<std::string>>()) out << " " << sink;
        out << ", " << get_or<uint64_t>(p, "DroppedLines", 0) << " lines dropped\n";
        for (const auto& f : p.at("LogFiles").get<std::vector<sdbus::Struct<std::string, int32_t, std::string>>>())
            out << "    " << f.get<0>() << (f.get<1>() < 0 ? std::string(" (all instances)") : " " + std::to_string(f.get<1>()))
                << ": " << f.get<2>() << "\n";
    }
    auto spec = get_or<VariantDict>(p, "Spec", {});
    if (auto it = spec.find("command"); it != spec.end()) {
        out << "Command:";
        try {
            for (const auto& a : it->second.get<std::vector<std::string>>()) out << " " << a;
        } catch (...) {
        }
        out << "\n";
    }
    if (auto it = spec.find("cwd"); it != spec.end()) out << "Cwd: " << it->second.get<std::string>() << "\n";
    if (auto it = spec.find("exec_mode"); it != spec.end())
        out << "Exec mode: " << it->second.get<std::string>() << " (the instances share the sockets they bind)\n";
    // Restart triggers.
    if (auto it = spec.find("cron_restart"); it != spec.end()) {
        out << "Cron restart: " << it->second.get<std::string>();
        if (auto next = get_or<uint64_t>(p, "NextCronRestart", 0)) {
            time_t t = static_cast<time_t>(next / 1'000'000);
            struct tm local;
            char when[64];
            localtime_r(&t, &local);
            std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", &local);
            out << ", next " << when;
        }
        out << "\n";
    }
    if (auto it = spec.find("max_memory_restart"); it != spec.end()) {
        std::string limit = "?";
        try {
            limit = it->second.get<std::string>();  // as the dump writes it: "300M"
        } catch (...) {
        }
        out << "Memory restart: above " << limit << "\n";
    }
    if (auto it = spec.find("watch"); it != spec.end()) out << "Watch: restart on file changes\n";
    // The kernel's limits on the app's cgroups, as the spec keys name them ("none" when unset).
    {
        std::string limits;
        for (const char* key :
             {"memory_max", "cpu_max", "pids_max", "io_weight", "io_read_bandwidth_max", "io_write_bandwidth_max"}) {
            auto it = spec.find(key);
            if (it == spec.end()) continue;
            auto value = variant_to_json(it->second);
            std::string text;
            if (value.is_array())  // several disks: "/dev/vda 2M and /dev/vdb 1M"
                for (const auto& item : value) text += (text.empty() ? "" : " and ") + item.get<std::string>();
            else
                text = value.is_string() ? value.get<std::string>() : value.dump();
            if (std::string(key) == "cpu_max") text += "% of a CPU";
            limits += (limits.empty() ? " " : ", ") + std::string(key) + " " + text;
        }
        out << "Limits:" << (limits.empty() ? " none" : limits) << "\n";
    }
    for (const auto& inst : get_or<std::vector<VariantDict>>(p, "Instances", {})) {
        auto state = get_or<std::string>(inst, "state", "?");
        out << "Instance " << get_or<uint32_t>(inst, "index", 0) << ": " << state;
        if (auto pid = get_or<int32_t>(inst, "pid", 0)) out << ", pid " << pid;
        out << ", restarts " << get_or<uint32_t>(inst, "restarts", 0);
        if (state == "online")
            out << ", up " << format_duration(std::chrono::milliseconds(get_or<uint64_t>(inst, "uptime_ms", 0))) << ", cpu "
                << percent(get_or<double>(inst, "cpu_percent", 0)) << ", memory "
                << format_size(get_or<uint64_t>(inst, "memory_bytes", 0)) << ", processes "
                << get_or<uint32_t>(inst, "processes", 0);
        if (state == "online") out << ", ready " << (get_or<bool>(inst, "ready", false) ? "yes" : "no");
        if (get_or<bool>(inst, "incoming", false)) out << " (replacement being started by a reload)";
        out << "\n    cgroup " << get_or<std::string>(inst, "cgroup", "-") << "\n";
        if (inst.count("io_read_bytes"))
            out << "    io: read " << format_size(get_or<uint64_t>(inst, "io_read_bytes", 0)) << ", written "
                << format_size(get_or<uint64_t>(inst, "io_write_bytes", 0)) << " (io.stat)\n";
        else if (inst.count("io_unavailable"))
            out << "    io: " << get_or<std::string>(inst, "io_unavailable", "") << "\n";
        auto status = get_or<std::string>(inst, "status", "");
        if (!status.empty()) out << "    status: " << status << "\n";
        if (inst.count("health")) {
            auto health = get_or<std::string>(inst, "health", "");
            out << "    health: " << (health.empty() ? "-" : health);
            auto result = get_or<std::string>(inst, "health_result", "");
            if (!result.empty()) out << " (last check: " << result << ")";
            if (auto failures = get_or<uint32_t>(inst, "health_failures", 0)) out << ", " << failures << " failed in a row";
            out << "\n";
        }
        auto last = get_or<std::string>(inst, "last_exit", "");
        if (!last.empty()) out << "    last exit: pid " << get_or<int32_t>(inst, "last_exit_pid", 0) << " " << last << "\n";
    }
    return out.str();
}

}  // namespace pmd
