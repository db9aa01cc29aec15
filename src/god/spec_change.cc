#include "god/spec_change.h"

#include <vector>

namespace pmd {
namespace {

std::string listed(const std::vector<ListenAddress>& listen) {
    if (listen.empty()) return "none";
    std::string out;
    for (const auto& l : listen) out += (out.empty() ? "" : ", ") + l.address + (l.name.empty() ? "" : " (" + l.name + ")");
    return out;
}

}  // namespace

bool sockets_differ(const AppSpec& a, const AppSpec& b) { return a.listen != b.listen || a.reuse_port != b.reuse_port; }

bool log_route_differs(const AppSpec& a, const AppSpec& b) {
    return a.out_file != b.out_file || a.error_file != b.error_file || a.merge_logs != b.merge_logs ||
           a.log_date_format != b.log_date_format;
}

std::optional<std::string> restart_needed_for(const AppSpec& from, const AppSpec& to) {
    if (from.listen != to.listen)
        return "its listen sockets change (" + listed(from.listen) + " -> " + listed(to.listen) +
               "); a reload keeps the sockets it has";
    if (from.reuse_port != to.reuse_port)
        return "reuse_port changes; old and new instances could not share the port";
    if (!log_route_differs(from, to)) return std::nullopt;
    std::vector<std::string> logs;
    if (from.out_file != to.out_file) logs.push_back("out_file");
    if (from.error_file != to.error_file) logs.push_back("error_file");
    if (from.merge_logs != to.merge_logs) logs.push_back("merge_logs");
    if (from.log_date_format != to.log_date_format) logs.push_back("log_date_format");
    std::string keys;
    for (const auto& k : logs) keys += (keys.empty() ? "" : ", ") + k;
    return "its log settings change (" + keys + "); old and new instances share one log route";
}

}  // namespace pmd
