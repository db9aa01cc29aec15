#include "config/app_fields.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "base/quantity.h"
#include "base/signal_name.h"
#include "config/did_you_mean.h"
#include "config/pm2_keys.h"
#include "config/shell_words.h"
#include "config/spec_validation.h"
#include "config/cron_schedule.h"
#include "spec/app_keys.h"

namespace pmd {
namespace {

constexpr std::string_view kHealthKeys[] = {"type",     "url",     "port",     "command",
                                            "interval", "timeout", "failures", "expected_status"};
constexpr std::string_view kListenKeys[] = {"address", "name"};
constexpr std::string_view kHealthTypes[] = {"http", "tcp", "exec"};

// Reads typed values out of TOML nodes, reporting "expected X, got Y" at the value's position.
// Every field that failed is remembered so validation does not report it a second time.
class ValueReader {
public:
    explicit ValueReader(ConfigErrors& errors) : errors_(errors) {}

    void bad(const toml::node& node, std::string_view field, std::string_view message) {
        errors_.add(node.source(), field, message);
        failed_.insert(std::string(field.substr(0, field.find('.'))));
    }
    void bad_at(const toml::source_region& where, std::string_view field, std::string_view message) {
        errors_.add(where, field, message);
        failed_.insert(std::string(field.substr(0, field.find('.'))));
    }
    bool failed(std::string_view top_level_field) const { return failed_.contains(std::string(top_level_field)); }
    bool any_failed() const { return !failed_.empty(); }

    std::optional<std::string> string(const toml::node& node, std::string_view field) {
        if (auto s = node.as_string()) return s->get();
        bad(node, field, "expected a string, got " + describe_toml_value(node));
        return std::nullopt;
    }

    std::optional<bool> boolean(const toml::node& node, std::string_view field) {
        if (auto b = node.as_boolean()) return b->get();
        bad(node, field, "expected true or false, got " + describe_toml_value(node));
        return std::nullopt;
    }

    std::optional<uint64_t> count(const toml::node& node, std::string_view field, uint64_t max) {
        if (auto i = node.as_integer()) {
            if (i->get() >= 0 && static_cast<uint64_t>(i->get()) <= max) return static_cast<uint64_t>(i->get());
            bad(node, field,
                "expected a whole number from 0 to " + std::to_string(max) + ", got " + std::to_string(i->get()));
            return std::nullopt;
        }
        bad(node, field, "expected a whole number, got " + describe_toml_value(node));
        return std::nullopt;
    }

    // PM2 takes milliseconds as numbers; pmd also takes "5s", "1m30s", "250ms".
    std::optional<Millis> duration(const toml::node& node, std::string_view field) {
        if (auto i = node.as_integer(); i && i->get() >= 0) return Millis(i->get());
        if (auto s = node.as_string())
            if (auto d = parse_duration(s->get())) return *d;
        bad(node, field,
            "expected a duration like \"5s\", \"1m30s\", \"250ms\" or a number of milliseconds, got " +
                describe_toml_value(node));
        return std::nullopt;
    }

    // PM2 takes bytes as numbers or "150M"; so does pmd (K, M, G, T are powers of 1024).
    std::optional<uint64_t> size(const toml::node& node, std::string_view field) {
        if (auto i = node.as_integer(); i && i->get() >= 0) return static_cast<uint64_t>(i->get());
        if (auto s = node.as_string())
            if (auto n = parse_size(s->get())) return *n;
        bad(node, field,
            "expected a size like \"512M\", \"2G\" or a number of bytes, got " + describe_toml_value(node));
        return std::nullopt;
    }

    // An argv: an array of strings, or one string split like a shell would (without running one).
    std::optional<std::vector<std::string>> words(const toml::node& node, std::string_view field) {
        if (auto s = node.as_string()) {
            auto split = split_shell_words(s->get());
            if (split.error.empty()) return split.words;
            bad(node, field, split.error);
            return std::nullopt;
        }
        return string_array(node, field);
    }

    // An array of strings; a single string counts as a one-element array.
    std::optional<std::vector<std::string>> string_list(const toml::node& node, std::string_view field) {
        if (auto s = node.as_string()) return std::vector<std::string>{s->get()};
        return string_array(node, field);
    }

private:
    std::optional<std::vector<std::string>> string_array(const toml::node& node, std::string_view field) {
        auto array = node.as_array();
        if (!array) {
            bad(node, field, "expected an array of strings or a string, got " + describe_toml_value(node));
            return std::nullopt;
        }
        std::vector<std::string> out;
        bool ok = true;
        for (const auto& element : *array) {
            if (auto s = element.as_string()) {
                out.push_back(s->get());
            } else {
                bad(element, field, "expected only strings in the array, got " + describe_toml_value(element));
                ok = false;
            }
        }
        return ok ? std::optional(out) : std::nullopt;
    }

    ConfigErrors& errors_;
    std::set<std::string> failed_;
};

// Environment values are strings to the kernel; numbers and booleans are accepted because PM2
// files say `PORT: 3000`.
void read_env_table(const toml::node& node, std::string_view field, ValueReader& read,
                    std::map<std::string, std::string>& env) {
    auto table = node.as_table();
    if (!table) {
        read.bad(node, field, "expected a table of variables, got " + describe_toml_value(node));
        return;
    }
    for (const auto& [key, value] : *table) {
        std::string name(key.str());
        std::string sub_field = std::string(field) + "." + name;
        if (auto s = value.as_string())
            env.insert_or_assign(name, s->get());
        else if (auto i = value.as_integer())
            env.insert_or_assign(name, std::to_string(i->get()));
        else if (auto b = value.as_boolean())
            env.insert_or_assign(name, b->get() ? "true" : "false");
        else if (auto f = value.as_floating_point()) {
            std::ostringstream text;
            text << f->get();
            env.insert_or_assign(name, text.str());
        } else {
            read.bad(value, sub_field, "expected a string, number or boolean, got " + describe_toml_value(value));
        }
    }
}

void read_instances(const toml::node& node, ValueReader& read, AppSpec& spec) {
    // 0 and "max" both mean one per CPU, as in PM2; god/ resolves it at start.
    if (auto i = node.as_integer(); i && i->get() >= 0 && i->get() <= std::numeric_limits<uint32_t>::max()) {
        spec.instances = static_cast<uint32_t>(i->get());
        return;
    }
    if (auto s = node.as_string()) {
        std::string_view text = s->get();
        if (text == "max") {
            spec.instances = 0;
            return;
        }
        uint32_t n = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) {
            spec.instances = n;
            return;
        }
    }
    read.bad(node, "instances", "expected a number or \"max\", got " + describe_toml_value(node));
}

// umask: an octal string ("0027", as umask(1) prints it) or a TOML integer (0o027).
void read_umask(const toml::node& node, ValueReader& read, AppSpec& spec) {
    if (auto i = node.as_integer(); i && i->get() >= 0 && i->get() <= 0777) {
        spec.umask = static_cast<uint32_t>(i->get());
        return;
    }
    if (auto s = node.as_string(); s && !s->get().empty() && s->get().size() <= 4) {
        uint32_t value = 0;
        auto [end, ec] = std::from_chars(s->get().data(), s->get().data() + s->get().size(), value, 8);
        if (ec == std::errc() && end == s->get().data() + s->get().size() && value <= 0777) {
            spec.umask = value;
            return;
        }
    }
    read.bad(node, "umask", "expected an octal umask like \"0027\" or 0o027, got " + describe_toml_value(node));
}

// limit_*: a whole number or "infinity", like systemd's LimitNOFILE=.
auto read_limit(std::optional<uint64_t> AppSpec::*member, std::string_view field) {
    return [member, field](const toml::node& n, ValueReader& r, AppSpec& s) {
        if (auto t = n.as_string(); t && (t->get() == "infinity" || t->get() == "unlimited")) {
            s.*member = kLimitInfinity;
            return;
        }
        if (n.is_string()) {
            r.bad(n, field, "expected a whole number or \"infinity\", got " + describe_toml_value(n));
            return;
        }
        if (auto c = r.count(n, field, SpecLimits::max_limit_value)) s.*member = *c;
    };
}

void read_cpu_max(const toml::node& node, ValueReader& read, AppSpec& spec) {
    // A percentage of one CPU, as systemd's CPUQuota: 50 = half a CPU, 200 = two CPUs.
    if (auto i = node.as_integer(); i && i->get() > 0 && i->get() <= std::numeric_limits<uint32_t>::max()) {
        spec.cpu_max_percent = static_cast<uint32_t>(i->get());
        return;
    }
    if (auto s = node.as_string()) {
        std::string_view text = s->get();
        if (text.ends_with("%")) text.remove_suffix(1);
        uint32_t n = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec == std::errc() && end == text.data() + text.size() && n > 0) {
            spec.cpu_max_percent = n;
            return;
        }
    }
    read.bad(node, "cpu_max", "expected a percentage of one CPU like 50 or \"150%\", got " + describe_toml_value(node));
}

// io_*_bandwidth_max: "PATH SIZE" as systemd's IOReadBandwidthMax=, or an array of them (systemd
// takes the setting once per disk). PATH is only checked to be absolute here: it names a disk
// of the machine that runs the app, resolved when an instance is spawned.
auto read_io_bandwidth(std::vector<IoBandwidth> AppSpec::*member, std::string_view field) {
    return [member, field](const toml::node& n, ValueReader& r, AppSpec& s) {
        auto items = r.string_list(n, field);
        if (!items) return;
        std::vector<IoBandwidth> out;
        for (const auto& item : *items) {
            std::istringstream words(item);
            std::string path, size_text, extra;
            words >> path >> size_text >> extra;
            auto size = parse_size(size_text);
            if (!path.starts_with("/") || !size || *size == 0 || !extra.empty()) {
                r.bad(n, field,
                      "expected \"PATH SIZE\" (an absolute path of a disk or of a file on it, and bytes a second), "
                      "like \"/dev/vda 2M\", got \"" + item + "\"");
                return;
            }
            out.push_back({path, *size});
        }
        s.*member = std::move(out);
    };
}

// PM2 writes "cluster" or "cluster_mode", "fork" or "fork_mode"; both spellings are taken.
void read_exec_mode(const toml::node& node, ValueReader& read, AppSpec& spec) {
    auto t = read.string(node, "exec_mode");
    if (!t) return;
    if (*t == "cluster" || *t == "cluster_mode")
        spec.exec_mode = AppSpec::ExecMode::Cluster;
    else if (*t == "fork" || *t == "fork_mode")
        spec.exec_mode = AppSpec::ExecMode::Fork;
    else
        read.bad(node, "exec_mode", "expected \"fork\" or \"cluster\", got \"" + *t + "\"");
}

void read_stop_signal(const toml::node& node, ValueReader& read, AppSpec& spec) {
    std::optional<int> signal;
    if (auto i = node.as_integer(); i && i->get() > 0 && i->get() < 1000)
        signal = parse_signal(std::to_string(i->get()));
    else if (auto s = node.as_string())
        signal = parse_signal(s->get());
    if (signal)
        spec.stop_signal = *signal;
    else
        read.bad(node, "stop_signal",
                 "expected a signal name like \"SIGINT\" or a number, got " + describe_toml_value(node));
}

void read_watch(const toml::node& node, ValueReader& read, AppSpec& spec) {
    if (auto b = node.as_boolean()) {
        spec.watch = b->get();
        spec.watch_paths.clear();
        return;
    }
    if (node.is_string() || node.is_array()) {
        if (auto paths = read.string_list(node, "watch")) {
            spec.watch = !paths->empty();
            spec.watch_paths = *paths;
        }
        return;
    }
    read.bad(node, "watch", "expected true, false or an array of paths, got " + describe_toml_value(node));
}

void read_listen(const toml::node& node, ValueReader& read, AppSpec& spec) {
    auto read_one = [&](const toml::node& element) -> std::optional<ListenAddress> {
        if (auto s = element.as_string()) {
            std::string_view text = s->get();
            ListenAddress out;
            auto semicolon = text.find(';');
            out.address = std::string(text.substr(0, semicolon));
            if (semicolon != std::string_view::npos) {
                auto option = text.substr(semicolon + 1);
                if (!option.starts_with("name=")) {
                    read.bad(element, "listen",
                             "the only option after ';' is name=NAME, got '" + std::string(option) + "'");
                    return std::nullopt;
                }
                out.name = std::string(option.substr(5));
            }
            return out;
        }
        if (auto table = element.as_table()) {
            ListenAddress out;
            bool ok = true;
            for (const auto& [key, value] : *table) {
                if (key.str() == "address") {
                    if (auto s = read.string(value, "listen.address"))
                        out.address = *s;
                    else
                        ok = false;
                } else if (key.str() == "name") {
                    if (auto s = read.string(value, "listen.name"))
                        out.name = *s;
                    else
                        ok = false;
                } else {
                    read.bad_at(key.source(), "listen." + std::string(key.str()),
                                "unknown key" + did_you_mean_suffix(key.str(), kListenKeys));
                    ok = false;
                }
            }
            if (out.address.empty() && ok) {
                read.bad(element, "listen.address", "a listen table needs address = \"tcp:HOST:PORT\"");
                ok = false;
            }
            return ok ? std::optional(out) : std::nullopt;
        }
        read.bad(element, "listen",
                 "expected \"tcp:HOST:PORT\" or {address = ..., name = ...}, got " + describe_toml_value(element));
        return std::nullopt;
    };
    std::vector<ListenAddress> out;
    if (auto array = node.as_array()) {
        for (const auto& element : *array)
            if (auto one = read_one(element)) out.push_back(*one);
    } else if (auto one = read_one(node)) {
        out.push_back(*one);
    }
    spec.listen = std::move(out);
}

void read_health_check(const toml::node& node, ValueReader& read, AppSpec& spec) {
    auto table = node.as_table();
    if (!table) {
        read.bad(node, "health_check",
                 "expected a table like {type = \"http\", url = \"http://127.0.0.1:8080/\"}, got " +
                     describe_toml_value(node));
        return;
    }
    HealthCheck hc;
    for (const auto& [key, value] : *table) {
        std::string field = "health_check." + std::string(key.str());
        if (key.str() == "type") {
            if (auto s = read.string(value, field)) {
                if (*s == "http")
                    hc.type = HealthCheck::Type::Http;
                else if (*s == "tcp")
                    hc.type = HealthCheck::Type::Tcp;
                else if (*s == "exec")
                    hc.type = HealthCheck::Type::Exec;
                else
                    read.bad(value, field,
                             "expected \"http\", \"tcp\" or \"exec\", got \"" + *s + "\"" +
                                 did_you_mean_suffix(*s, kHealthTypes));
            }
        } else if (key.str() == "url") {
            if (auto s = read.string(value, field)) hc.url = *s;
        } else if (key.str() == "port") {
            if (auto n = read.count(value, field, 65535)) hc.port = static_cast<uint16_t>(*n);
        } else if (key.str() == "command") {
            if (auto w = read.words(value, field)) hc.command = *w;
        } else if (key.str() == "interval") {
            if (auto d = read.duration(value, field)) hc.interval = *d;
        } else if (key.str() == "timeout") {
            if (auto d = read.duration(value, field)) hc.timeout = *d;
        } else if (key.str() == "expected_status") {
            if (auto n = read.count(value, field, 599)) hc.expected_status = static_cast<uint16_t>(*n);
        } else if (key.str() == "failures") {
            if (auto n = read.count(value, field, 1000)) hc.failures = static_cast<uint32_t>(*n);
        } else {
            read.bad_at(key.source(), field, "unknown key" + did_you_mean_suffix(key.str(), kHealthKeys));
        }
    }
    if (hc.type == HealthCheck::Type::None && !read.failed("health_check"))
        read.bad(node, "health_check.type", "a health check needs type = \"http\", \"tcp\" or \"exec\"");
    spec.health_check = std::move(hc);
}

// The value nodes of the keys that together make the argv.
struct CommandKeys {
    const toml::node* command = nullptr;
    const toml::node* script = nullptr;
    const toml::node* args = nullptr;
    const toml::node* interpreter = nullptr;
    const toml::node* interpreter_args = nullptr;
    std::string interpreter_args_key = "interpreter_args";
};

// PM2: `script` + `args`, run through `interpreter` (+ `interpreter_args`) unless it is "none".
// pmd also takes `command` (an argv) for anything that is not a script.
void assemble_command(const toml::table& table, const CommandKeys& keys, ValueReader& read, AppSpec& spec) {
    if (keys.command) {
        for (auto [node, key] : {std::pair{keys.script, "script"},
                                 {keys.args, "args"},
                                 {keys.interpreter, "interpreter"},
                                 {keys.interpreter_args, keys.interpreter_args_key.c_str()}})
            if (node) read.bad(*node, key, "use either 'command' or 'script' (with 'args', 'interpreter'), not both");
        if (auto words = read.words(*keys.command, "command")) spec.command = *words;
        return;
    }
    if (!keys.script) {
        for (auto [node, key] : {std::pair{keys.args, "args"},
                                 {keys.interpreter, "interpreter"},
                                 {keys.interpreter_args, keys.interpreter_args_key.c_str()}})
            if (node) read.bad(*node, key, "needs 'script' to go with it");
        if (!keys.args && !keys.interpreter && !keys.interpreter_args)
            read.bad_at(table.source(), "",
                        "this app has neither 'script' nor 'command'; add script = \"./server.js\" or command = "
                        "[\"/usr/bin/prog\", \"arg\"]");
        return;
    }
    std::vector<std::string> argv;
    if (keys.interpreter) {
        if (auto interpreter = read.string(*keys.interpreter, "interpreter"); interpreter && *interpreter != "none") {
            argv.push_back(*interpreter);
            if (keys.interpreter_args)
                if (auto extra = read.words(*keys.interpreter_args, keys.interpreter_args_key))
                    argv.insert(argv.end(), extra->begin(), extra->end());
        } else if (keys.interpreter_args && interpreter) {
            read.bad(*keys.interpreter_args, keys.interpreter_args_key,
                     "interpreter = \"none\" takes no interpreter arguments");
        }
    } else if (keys.interpreter_args) {
        read.bad(*keys.interpreter_args, keys.interpreter_args_key,
                 "pmd picks no interpreter by itself; add interpreter = \"node\" (or the one you mean)");
    }
    if (auto script = read.string(*keys.script, "script")) argv.push_back(*script);
    if (keys.args)
        if (auto args = read.words(*keys.args, "args")) argv.insert(argv.end(), args->begin(), args->end());
    spec.command = std::move(argv);
}

// PM2 names an app after its script when no name is given: "./api/server.js" → "server".
std::string name_from_command(const std::vector<std::string>& command, bool has_interpreter) {
    if (command.empty()) return "";
    std::filesystem::path program(has_interpreter ? command.back() : command.front());
    return program.stem().string();
}

// PM2 users bring PM2 habits: name the pmd key, or say why there is none, before guessing.
std::string unknown_key_message(std::string_view key) {
    if (auto pmd_key = pm2_key_in_pmd(key); pmd_key && *pmd_key != key)
        return "unknown key; PM2's '" + std::string(key) + "' is '" + *pmd_key + "' in pmd";
    if (auto why = pm2_key_without_equivalent(key)) return "PM2's '" + std::string(key) + "' has no pmd key: " + *why;
    std::string hint = did_you_mean_suffix(key, app_table_keys());
    return "unknown key" + (hint.empty() ? std::string(" (see docs/config-reference.md)") : hint);
}

using FieldReader = std::function<void(const toml::node&, ValueReader&, AppSpec&)>;

// A reader for a key of a plain kind, through its AppSpec member.
FieldReader plain_reader(const AppKey& k) {
    std::string_view field = k.key;
    return std::visit(
        [&](auto member) -> FieldReader {
            using M = decltype(member);
            if constexpr (std::is_same_v<M, std::string AppSpec::*>) {
                if (k.kind == AppKeyKind::Identity)
                    // PM2 takes a name or a number; a number is kept as its text.
                    return [member, field](const toml::node& n, ValueReader& r, AppSpec& s) {
                        if (auto i = n.as_integer(); i && i->get() >= 0)
                            s.*member = std::to_string(i->get());
                        else if (auto t = n.as_string())
                            s.*member = t->get();
                        else
                            r.bad(n, field, "expected a name or a numeric id, got " + describe_toml_value(n));
                    };
                return [member, field](const toml::node& n, ValueReader& r, AppSpec& s) {
                    if (auto t = r.string(n, field)) s.*member = *t;
                };
            } else if constexpr (std::is_same_v<M, bool AppSpec::*>) {
                return [member, field](const toml::node& n, ValueReader& r, AppSpec& s) {
                    if (auto b = r.boolean(n, field)) s.*member = *b;
                };
            } else if constexpr (std::is_same_v<M, Millis AppSpec::*>) {
                return [member, field](const toml::node& n, ValueReader& r, AppSpec& s) {
                    if (auto d = r.duration(n, field)) s.*member = *d;
                };
            } else if constexpr (std::is_same_v<M, std::optional<uint64_t> AppSpec::*>) {
                if (k.kind == AppKeyKind::Limit) return read_limit(member, field);
                return [member, field](const toml::node& n, ValueReader& r, AppSpec& s) {
                    if (auto b = r.size(n, field)) s.*member = *b;
                };
            } else if constexpr (std::is_same_v<M, uint64_t AppSpec::*>) {
                if (k.kind == AppKeyKind::Size)
                    return [member, field](const toml::node& n, ValueReader& r, AppSpec& s) {
                        if (auto b = r.size(n, field)) s.*member = *b;
                    };
                return [member, field, max = k.max](const toml::node& n, ValueReader& r, AppSpec& s) {
                    if (auto c = r.count(n, field, max)) s.*member = *c;
                };
            } else if constexpr (std::is_same_v<M, uint32_t AppSpec::*> ||
                                 std::is_same_v<M, std::optional<uint32_t> AppSpec::*>) {
                return [member, field, max = k.max](const toml::node& n, ValueReader& r, AppSpec& s) {
                    if (auto c = r.count(n, field, max)) s.*member = static_cast<uint32_t>(*c);
                };
            } else {
                return nullptr;
            }
        },
        k.member);
}

// Readers of the Custom keys of spec/app_keys.h that are one key of the table; the keys that
// build the command (name, script, args, interpreter...), cwd and env are read in decode_app_table.
const std::map<std::string_view, FieldReader>& custom_fields() {
    static const std::map<std::string_view, FieldReader> fields = {
        {"instances", read_instances},
        {"reload_batch",
         [](const toml::node& n, ValueReader& r, AppSpec& s) {
             auto c = r.count(n, "reload_batch", SpecLimits::max_instances);
             if (c && *c == 0)
                 r.bad(n, "reload_batch", "must be at least 1 (instances replaced at a time by a reload)");
             else if (c)
                 s.reload_batch = static_cast<uint32_t>(*c);
         }},
        {"cpu_max", read_cpu_max},
        {"io_weight",
         [](const toml::node& n, ValueReader& r, AppSpec& s) {
             auto c = r.count(n, "io_weight", 10000);
             if (c && *c == 0)
                 r.bad(n, "io_weight", "expected a weight from 1 to 10000 (100 is the kernel's default), got 0");
             else if (c)
                 s.io_weight = static_cast<uint32_t>(*c);
         }},
        {"io_read_bandwidth_max", read_io_bandwidth(&AppSpec::io_read_bandwidth_max, "io_read_bandwidth_max")},
        {"io_write_bandwidth_max", read_io_bandwidth(&AppSpec::io_write_bandwidth_max, "io_write_bandwidth_max")},
        {"stop_signal", read_stop_signal},
        {"exec_mode", read_exec_mode},
        {"cron_restart",
         [](const toml::node& n, ValueReader& r, AppSpec& s) {
             auto t = r.string(n, "cron_restart");
             if (!t) return;
             if (auto why = CronSchedule::problem(*t); !why.empty())
                 r.bad(n, "cron_restart", why);
             else
                 s.cron_restart = *t;
         }},
        {"watch", read_watch},
        {"ignore_watch",
         [](const toml::node& n, ValueReader& r, AppSpec& s) {
             if (auto l = r.string_list(n, "ignore_watch")) s.ignore_watch = *l;
         }},
        {"listen", read_listen},
        {"health_check", read_health_check},
        {"umask", read_umask},
    };
    return fields;
}

// Every key of the table but those decode_app_table reads itself.
const std::map<std::string_view, FieldReader>& simple_fields() {
    static const std::map<std::string_view, FieldReader> fields = [] {
        std::map<std::string_view, FieldReader> out;
        for (const AppKey& k : app_keys()) {
            if (k.kind != AppKeyKind::Custom)
                out.emplace(k.key, plain_reader(k));
            else if (auto it = custom_fields().find(k.key); it != custom_fields().end())
                out.emplace(k.key, it->second);
        }
        return out;
    }();
    return fields;
}

// Where to point for a validation problem about `field` (a key of the app table, or a dotted
// key inside health_check/env); falls back to the table's header.
toml::source_region position_of(const toml::table& table, std::string_view field) {
    static const std::map<std::string_view, std::vector<std::string_view>> aliases = {
        {"command", {"command", "script"}}, {"user", {"user", "uid"}}, {"group", {"group", "gid"}}};
    std::string_view top = field.substr(0, field.find('.'));
    std::vector<std::string_view> keys = {top};
    if (auto it = aliases.find(top); it != aliases.end()) keys = it->second;
    for (auto key : keys) {
        if (const toml::node* node = table.get(key)) {
            if (field.size() > top.size())
                if (auto sub = node->as_table())
                    if (const toml::node* inner = sub->get(field.substr(top.size() + 1))) return inner->source();
            return node->source();
        }
    }
    return table.source();
}

}  // namespace

std::span<const std::string_view> app_table_keys() {
    static const std::vector<std::string_view> keys = [] {
        std::vector<std::string_view> out;
        for (const AppKey& k : app_keys()) out.push_back(k.key);
        return out;
    }();
    return keys;
}

static bool app_table_reads_itself(std::string_view key) {
    static constexpr std::string_view kInline[] = {"name",     "script", "args", "command", "interpreter",
                                                   "interpreter_args", "node_args", "cwd", "env"};
    return std::find(std::begin(kInline), std::end(kInline), key) != std::end(kInline);
}

bool app_table_has_reader(std::string_view key) {
    return app_table_reads_itself(key) || simple_fields().contains(key);
}

AppSpec decode_app_request(const toml::table& table, const std::string& source_name,
                           const std::filesystem::path& base_dir, const AppSpec& defaults) {
    ConfigErrors errors(source_name);
    AppSpec spec = defaults;
    decode_app_table(table, {base_dir, "", false}, spec, errors);
    errors.throw_if_any();
    return spec;
}

AppTableOutcome decode_app_table(const toml::table& table, const AppTableContext& ctx, AppSpec& spec,
                                 ConfigErrors& errors) {
    ValueReader read(errors);
    AppTableOutcome outcome;
    CommandKeys command_keys;
    const toml::node* profile_env = nullptr;
    bool cwd_given = false;
    std::map<std::string, toml::source_region> identity_keys;  // user/uid, group/gid: only one of each

    for (const auto& [key, node] : table) {
        std::string_view name = key.str();
        if (const AppKey* k = find_app_key(name); ctx.is_defaults && k && k->one_app) {
            read.bad_at(key.source(), name, "belongs to one app; [defaults] holds only settings shared by all apps");
            continue;
        }
        if (name.starts_with("env_")) {
            if (ctx.is_defaults) {
                read.bad_at(key.source(), name, "env profiles belong in app files, not in [defaults]");
            } else if (!node.is_table()) {
                read.bad(node, name, "expected a table of variables, got " + describe_toml_value(node));
            } else if (!ctx.profile.empty() && name.substr(4) == ctx.profile) {
                profile_env = &node;
                outcome.used_profile = true;
            }
            continue;
        }
        if (name == "user" || name == "uid" || name == "group" || name == "gid") {
            std::string role = (name == "user" || name == "uid") ? "user" : "group";
            if (auto [it, fresh] = identity_keys.emplace(role, key.source()); !fresh) {
                // Tables iterate in key order, not file order: point at whichever comes later.
                bool this_is_later = key.source().begin.line > it->second.begin.line;
                read.bad_at(this_is_later ? key.source() : it->second,
                            this_is_later ? name : (role == "user" ? "uid" : "gid"),
                            "'user' and 'uid' (or 'group' and 'gid') say the same thing; keep one");
                continue;
            }
        }
        if (name == "name") {
            if (auto s = read.string(node, "name")) spec.name = *s;
        } else if (name == "command") {
            command_keys.command = &node;
        } else if (name == "script") {
            command_keys.script = &node;
        } else if (name == "args") {
            command_keys.args = &node;
        } else if (name == "interpreter") {
            command_keys.interpreter = &node;
        } else if (name == "interpreter_args" || name == "node_args") {
            if (command_keys.interpreter_args)
                read.bad(node, name, "'node_args' is PM2's old name of 'interpreter_args'; keep one");
            command_keys.interpreter_args = &node;
            command_keys.interpreter_args_key = std::string(name);
        } else if (name == "cwd") {
            if (auto s = read.string(node, "cwd")) {
                std::filesystem::path dir(*s);
                if (dir.is_relative() && !ctx.base_dir.empty()) dir = ctx.base_dir / dir;
                std::string normal = dir.lexically_normal().string();
                if (normal.size() > 1 && normal.back() == '/') normal.pop_back();
                spec.cwd = normal;
                cwd_given = true;
            }
        } else if (name == "env") {
            read_env_table(node, "env", read, spec.env);
        } else if (auto it = simple_fields().find(name); it != simple_fields().end()) {
            it->second(node, read, spec);
        } else {
            read.bad_at(key.source(), name, unknown_key_message(name));
        }
    }
    if (profile_env) read_env_table(*profile_env, "env_" + std::string(ctx.profile), read, spec.env);

    if (!ctx.is_defaults) {
        assemble_command(table, command_keys, read, spec);
        if (spec.name.empty() && !table.contains("name"))
            spec.name = name_from_command(spec.command, command_keys.interpreter != nullptr);
        // An app file's apps run from the file's directory unless they say otherwise.
        if (!cwd_given && spec.cwd.empty() && !ctx.base_dir.empty())
            spec.cwd = ctx.base_dir.lexically_normal().string();
        // PM2 resolves a relative out_file/error_file/pid_file against the app's cwd
        // (Common.prepareAppConf).
        for (std::string* path : {&spec.out_file, &spec.error_file, &spec.pid_file})
            if (!path->empty() && path->front() != '/' && !spec.cwd.empty())
                *path = (std::filesystem::path(spec.cwd) / *path).lexically_normal().string();
    }

    for (const auto& problem : find_spec_problems(spec)) {
        std::string_view top = std::string_view(problem.field).substr(0, problem.field.find('.'));
        if (read.failed(top) || (top == "command" && read.failed("script"))) continue;
        if (ctx.is_defaults && (top == "name" || top == "command")) continue;
        if (top == "command" && !command_keys.command && !command_keys.script) continue;  // already said
        read.bad_at(position_of(table, problem.field), problem.field, problem.message);
    }
    outcome.ok = !read.any_failed();
    return outcome;
}

}  // namespace pmd
