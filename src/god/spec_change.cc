#include "god/spec_change.h"

#include <vector>

#include "spec/app_keys.h"

namespace pmd {
namespace {

std::string listed(const std::vector<ListenAddress>& listen) {
    if (listen.empty()) return "none";
    std::string out;
    for (const auto& l : listen) out += (out.empty() ? "" : ", ") + l.address + (l.name.empty() ? "" : " (" + l.name + ")");
    return out;
}

// The per-app log route's fields that differ, by their app-file names.
std::vector<std::string> changed_log_fields(const AppSpec& a, const AppSpec& b) { return changed_app_keys(a, b, AppKeyApply::LogRoute); }

}  // namespace

bool sockets_differ(const AppSpec& a, const AppSpec& b) { return a.listen != b.listen || a.reuse_port != b.reuse_port; }

bool log_route_differs(const AppSpec& a, const AppSpec& b) { return !changed_log_fields(a, b).empty(); }

std::optional<std::string> restart_needed_for(const AppSpec& from, const AppSpec& to) {
    if (from.listen != to.listen)
        return "its listen sockets change (" + listed(from.listen) + " -> " + listed(to.listen) +
               "); a reload keeps the sockets it has";
    if (from.reuse_port != to.reuse_port)
        return "reuse_port changes; old and new instances could not share the port";
    if (from.exec_mode != to.exec_mode)
        return "exec_mode changes; instances of one mode cannot share the ports the other bound";
    std::vector<std::string> logs = changed_log_fields(from, to);
    if (logs.empty()) return std::nullopt;
    std::string keys;
    for (const auto& k : logs) keys += (keys.empty() ? "" : ", ") + k;
    return "its log settings change (" + keys + "); old and new instances share one log route";
}

}  // namespace pmd
