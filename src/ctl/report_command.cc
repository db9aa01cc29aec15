// pmctl report: one text to paste into a bug report (PM2's report): versions, the kernel, how
// cgroups are set up and what is delegated, the daemon's effective settings, the apps, and
// pmd's last warnings and errors. The daemon's facts come from pmd (Report), so a report over
// -H describes the host pmd runs on, not the one pmctl runs on.
#include <unistd.h>

#include <ctime>
#include <iostream>
#include <sstream>

#include "ctl/app_table.h"
#include "ctl/ctl_command.h"
#include "ctl/god_client.h"

namespace pmd {
namespace {

std::string text(const VariantDict& d, const std::string& key) {
    auto it = d.find(key);
    if (it == d.end()) return "";
    if (it->second.containsValueOfType<std::string>()) return it->second.get<std::string>();
    if (it->second.containsValueOfType<int32_t>()) return std::to_string(it->second.get<int32_t>());
    if (it->second.containsValueOfType<uint32_t>()) return std::to_string(it->second.get<uint32_t>());
    if (it->second.containsValueOfType<std::vector<std::string>>()) {
        std::string out;
        for (const auto& w : it->second.get<std::vector<std::string>>()) out += (out.empty() ? "" : " ") + w;
        return out.empty() ? "(none)" : out;
    }
    return "";
}

void section(std::ostream& out, const std::string& title) {
    std::string rule = "--- " + title + " ";
    if (rule.size() < 72) rule += std::string(72 - rule.size(), '-');
    out << rule << "\n";
}

void field(std::ostream& out, const std::string& label, const std::string& value) {
    std::string padded = label;
    if (padded.size() < 20) padded += std::string(20 - padded.size(), ' ');
    out << padded << ": " << (value.empty() ? "-" : value) << "\n";
}

std::string now_utc() {
    std::time_t t = std::time(nullptr);
    char buffer[64];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
    return buffer;
}

}  // namespace

CtlCommand add_report_command(CLI::App& cli) {
    auto* sub = cli.add_subcommand("report", "Print what a bug report needs: versions, kernel, cgroups, settings, apps, "
                                             "pmd's last warnings (PM2's report)");
    return {sub, [](const BusChoice& bus) {
                GodClient client(bus);
                VariantDict r = client.report();
                auto apps = client.list_apps();
                std::ostringstream out;
                section(out, "pmd report");
                field(out, "date", now_utc());
                section(out, "Daemon");
                field(out, "pmd version", text(r, "version"));
                field(out, "pid", text(r, "pid"));
                field(out, "uid", text(r, "uid"));
                field(out, "bus", text(r, "bus"));
                field(out, "libsystemd", text(r, "libsystemd") + " (built against)");
                section(out, "pmctl");
                field(out, "pmctl version", PMD_VERSION);
                field(out, "uid", std::to_string(getuid()));
                field(out, "bus", bus.describe());
                section(out, "System");
                field(out, "kernel", text(r, "kernel"));
                field(out, "pid 1", text(r, "pid1"));
                section(out, "cgroups");
                field(out, "layout", text(r, "cgroup_layout"));
                field(out, "pmd's mode", text(r, "cgroup_mode"));
                field(out, "cgroup2 mount", text(r, "cgroup_mount"));
                field(out, "pmd's root", text(r, "cgroup_root"));
                field(out, "available", text(r, "cgroup_available"));
                field(out, "delegated to pmd", text(r, "cgroup_delegated"));
                field(out, "enabled for apps", text(r, "cgroup_enabled"));
                section(out, "Settings (" + text(r, "config_path") + " with pmd's options)");
                out << text(r, "config");
                section(out, "Apps");
                out << render_app_table(apps);
                section(out, "pmd's last warnings and errors");
                auto log = r.find("recent_log");
                if (log == r.end()) {
                    out << "(only root and the admin group see pmd's log; run pmctl report as one of them)\n";
                } else {
                    auto lines = log->second.get<std::vector<std::string>>();
                    if (lines.empty()) out << "(none since pmd started)\n";
                    for (const auto& line : lines) out << line << "\n";
                }
                section(out, "end");
                std::cout << out.str();
                return 0;
            }};
}

}  // namespace pmd
