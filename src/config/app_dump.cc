#include "config/app_dump.h"

#include <csignal>
#include <cstdio>
#include <functional>
#include <map>

#include "base/signal_name.h"
#include "config/app_file.h"
#include "config/toml_text.h"
#include "spec/app_keys.h"

namespace pmd {

std::string exact_duration_text(Millis d) {
    int64_t ms = d.count();
    if (ms <= 0) return std::to_string(ms) + "ms";
    static const std::pair<int64_t, const char*> units[] = {
        {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
    std::string out;
    for (auto [size, name] : units) {
        if (ms >= size) {
            out += std::to_string(ms / size) + name;
            ms %= size;
        }
    }
    return out;
}

std::string exact_size_text(uint64_t bytes) {
    static const std::pair<uint64_t, const char*> units[] = {
        {1ull << 40, "T"}, {1ull << 30, "G"}, {1ull << 20, "M"}, {1ull << 10, "K"}};
    for (auto [size, name] : units)
        if (bytes >= size && bytes % size == 0) return std::to_string(bytes / size) + name;
    return std::to_string(bytes);
}

namespace {

// One "PATH SIZE" as a string, several as an array (the reader takes both).
std::string io_bandwidth_text(const std::vector<IoBandwidth>& limits) {
    std::vector<std::string> items;
    for (const auto& l : limits) items.push_back(l.path + " " + exact_size_text(l.bytes_per_second));
    return items.size() == 1 ? toml_string(items[0]) : toml_string_array(items);
}

const char* health_type_name(HealthCheck::Type type) {
    switch (type) {
        case HealthCheck::Type::Http:
            return "http";
        case HealthCheck::Type::Tcp:
            return "tcp";
        case HealthCheck::Type::Exec:
            return "exec";
        case HealthCheck::Type::None:
            break;
    }
    return "";
}

// Real-time signals have no name parse_signal() knows; write those as numbers.
std::string signal_text(int signal) {
    return signal < SIGRTMIN ? toml_string(signal_name(signal)) : std::to_string(signal);
}

using Line = std::function<void(std::string_view key, const std::string& value)>;

// A key of a plain kind, when it differs from the built-in default.
void dump_plain(const AppKey& k, const AppSpec& a, const AppSpec& d, const Line& line) {
    std::visit(
        [&](auto member) {
            using M = decltype(member);
            if constexpr (std::is_same_v<M, std::monostate>) {
                return;
            } else {
                if (a.*member == d.*member) return;
                const auto& v = a.*member;
                if constexpr (std::is_same_v<M, std::string AppSpec::*>)
                    line(k.key, toml_string(v));
                else if constexpr (std::is_same_v<M, bool AppSpec::*>)
                    line(k.key, v ? "true" : "false");
                else if constexpr (std::is_same_v<M, Millis AppSpec::*>)
                    line(k.key, toml_string(exact_duration_text(v)));
                else if constexpr (std::is_same_v<M, uint64_t AppSpec::*> || std::is_same_v<M, uint32_t AppSpec::*>)
                    line(k.key, k.kind == AppKeyKind::Size ? toml_string(exact_size_text(v)) : std::to_string(v));
                else if constexpr (std::is_same_v<M, std::optional<uint32_t> AppSpec::*>)
                    line(k.key, std::to_string(*v));
                else if (k.kind == AppKeyKind::Limit)
                    line(k.key, *v == kLimitInfinity ? "\"infinity\"" : std::to_string(*v));
                else
                    line(k.key, toml_string(exact_size_text(*v)));
            }
        },
        k.member);
}

// The Custom keys of spec/app_keys.h the dump writes, each as the reader takes it back.
const std::map<std::string_view, std::function<void(const AppSpec&, const AppSpec&, const Line&, std::string&)>>&
custom_writers() {
    static const std::map<std::string_view,
                          std::function<void(const AppSpec&, const AppSpec&, const Line&, std::string&)>>
        writers = {
            {"name", [](const AppSpec& a, const AppSpec&, const Line& line, std::string&) { line("name", toml_string(a.name)); }},
            {"command", [](const AppSpec& a, const AppSpec&, const Line& line, std::string&) {
                 line("command", toml_string_array(a.command));
             }},
            {"cwd", [](const AppSpec& a, const AppSpec&, const Line& line, std::string&) {
                 if (!a.cwd.empty()) line("cwd", toml_string(a.cwd));
             }},
            {"instances", [](const AppSpec& a, const AppSpec& d, const Line& line, std::string&) {
                 if (a.instances != d.instances)
                     line("instances", a.instances == 0 ? "\"max\"" : std::to_string(a.instances));
             }},
            {"stop_signal", [](const AppSpec& a, const AppSpec& d, const Line& line, std::string&) {
                 if (a.stop_signal != d.stop_signal) line("stop_signal", signal_text(a.stop_signal));
             }},
            {"cpu_max", [](const AppSpec& a, const AppSpec& d, const Line& line, std::string&) {
                 if (a.cpu_max_percent != d.cpu_max_percent) line("cpu_max", std::to_string(a.cpu_max_percent));
             }},
            {"io_weight", [](const AppSpec& a, const AppSpec& d, const Line& line, std::string&) {
                 if (a.io_weight != d.io_weight) line("io_weight", std::to_string(a.io_weight));
             }},
            {"io_read_bandwidth_max", [](const AppSpec& a, const AppSpec&, const Line& line, std::string&) {
                 if (!a.io_read_bandwidth_max.empty()) line("io_read_bandwidth_max", io_bandwidth_text(a.io_read_bandwidth_max));
             }},
            {"io_write_bandwidth_max", [](const AppSpec& a, const AppSpec&, const Line& line, std::string&) {
                 if (!a.io_write_bandwidth_max.empty())
                     line("io_write_bandwidth_max", io_bandwidth_text(a.io_write_bandwidth_max));
             }},
            {"reload_batch", [](const AppSpec& a, const AppSpec& d, const Line& line, std::string&) {
                 if (a.reload_batch != d.reload_batch) line("reload_batch", std::to_string(a.reload_batch));
             }},
            {"cron_restart", [](const AppSpec& a, const AppSpec& d, const Line& line, std::string&) {
                 if (a.cron_restart != d.cron_restart) line("cron_restart", toml_string(a.cron_restart));
             }},
            {"watch", [](const AppSpec& a, const AppSpec&, const Line& line, std::string&) {
                 if (a.watch) line("watch", a.watch_paths.empty() ? "true" : toml_string_array(a.watch_paths));
             }},
            {"ignore_watch", [](const AppSpec& a, const AppSpec&, const Line& line, std::string&) {
                 if (!a.ignore_watch.empty()) line("ignore_watch", toml_string_array(a.ignore_watch));
             }},
            {"listen", [](const AppSpec& a, const AppSpec&, const Line& line, std::string&) {
                 if (a.listen.empty()) return;
                 std::string items;
                 for (const auto& l : a.listen) {
                     if (!items.empty()) items += ", ";
                     items += "{address = " + toml_string(l.address) +
                              (l.name.empty() ? "" : ", name = " + toml_string(l.name)) + "}";
                 }
                 line("listen", "[" + items + "]");
             }},
            {"exec_mode", [](const AppSpec& a, const AppSpec&, const Line& line, std::string&) {
                 if (a.exec_mode == AppSpec::ExecMode::Cluster) line("exec_mode", "\"cluster\"");
             }},
            {"umask", [](const AppSpec& a, const AppSpec& d, const Line& line, std::string&) {
                 if (a.umask == d.umask) return;
                 char octal[8];
                 std::snprintf(octal, sizeof octal, "%04o", a.umask);
                 line("umask", toml_string(octal));
             }},
            // Sub-tables last: after [app.env] every key belongs to it.
            {"env", [](const AppSpec& a, const AppSpec&, const Line& line, std::string& out) {
                 if (a.env.empty()) return;
                 out += "\n[app.env]\n";
                 for (const auto& [key, value] : a.env) line(toml_key(key), toml_string(value));
             }},
            {"health_check", [](const AppSpec& a, const AppSpec&, const Line& line, std::string& out) {
                 const auto& hc = a.health_check;
                 if (hc.type == HealthCheck::Type::None) return;
                 out += "\n[app.health_check]\n";
                 line("type", toml_string(health_type_name(hc.type)));
                 if (!hc.url.empty()) line("url", toml_string(hc.url));
                 if (hc.port != 0) line("port", std::to_string(hc.port));
                 if (hc.expected_status != 0) line("expected_status", std::to_string(hc.expected_status));
                 if (!hc.command.empty()) line("command", toml_string_array(hc.command));
                 line("interval", toml_string(exact_duration_text(hc.interval)));
                 line("timeout", toml_string(exact_duration_text(hc.timeout)));
                 line("failures", std::to_string(hc.failures));
             }},
        };
    return writers;
}

void dump_one(const AppSpec& a, bool stopped, std::string& out) {
    const AppSpec d;  // only what differs from the built-in defaults is written
    Line line = [&](std::string_view key, const std::string& value) {
        out += key;
        out += " = ";
        out += value;
        out += '\n';
    };
    out += "[[app]]\n";
    for (const AppKey& k : app_keys()) {
        if (!k.written) continue;
        if (k.kind != AppKeyKind::Custom)
            dump_plain(k, a, d, line);
        else if (auto it = custom_writers().find(k.key); it != custom_writers().end())
            it->second(a, d, line, out);
        // desired_state is no app key: only dumps hold it, right after the name.
        if (k.key == "name" && stopped) line("desired_state", toml_string("stopped"));
    }
}

}  // namespace

bool app_dump_writes(std::string_view key) {
    const AppKey* k = find_app_key(key);
    return k && (!k->written || k->kind != AppKeyKind::Custom || custom_writers().contains(key));
}

std::string dump_apps(const std::vector<AppSpec>& apps, const std::set<std::string>& stopped) {
    std::string out = "# Written by pmd (pmctl save). Read back by pmctl resurrect; edits are kept.\n";
    for (const auto& app : apps) {
        out += '\n';
        dump_one(app, stopped.count(app.name) > 0, out);
    }
    return out;
}

}  // namespace pmd

namespace pmd {

std::vector<AppSpec> parse_dump_text(std::string_view text, const std::string& source_name,
                                     std::set<std::string>* stopped) {
    AppFileOptions options;
    options.allow_no_apps = true;
    std::set<std::string> ignored;
    options.desired_stopped = stopped ? stopped : &ignored;
    return parse_app_text(text, source_name, {}, options);
}

std::vector<AppSpec> load_dump(const std::filesystem::path& path) { return load_dump(path, nullptr); }

std::vector<AppSpec> load_dump(const std::filesystem::path& path, std::set<std::string>* stopped) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec) && !ec) return {};
    return parse_dump_text(read_text_file(path), path.string(), stopped);
}

}  // namespace pmd
