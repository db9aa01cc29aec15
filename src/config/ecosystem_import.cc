#include "config/ecosystem_import.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "base/error.h"
#include "spec/app_spec.h"
#include "config/app_file.h"
#include "config/pm2_keys.h"
#include "config/pm2_launch.h"
#include "config/toml_text.h"

namespace pmd {
namespace {

using Json = nlohmann::ordered_json;

std::string json_text(const Json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
}

// PM2's keys for one thing under several names (lib/API/schema.json aliases, and the
// `cmd`/`command` of Common.verifyConfs): the name PM2 reads in the end.
const std::map<std::string, std::string> kAliasOf = {
    {"exec", "script"}, {"cmd", "script"}, {"command", "script"},
    {"exec_interpreter", "interpreter"}, {"interpreterArgs", "node_args"}, {"interpreter_args", "node_args"},
    {"log", "log_file"}, {"pid", "pid_file"}, {"cron", "cron_restart"},
};

// App names in pmd are letters, digits and _ . @ - (they name cgroups and bus objects); PM2
// turns every other character into '-' for its own log files, and so does the import.
std::string pmd_name_for(const std::string& pm2_name) {
    std::string out;
    for (char c : pm2_name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '.' || c == '@' || c == '-';
        out += ok ? c : '-';
    }
    while (!out.empty() && (out[0] == '.' || out[0] == '-')) out.erase(0, 1);
    if (out.size() > SpecLimits::max_name_length) out.resize(SpecLimits::max_name_length);
    while (!out.empty() && out.back() == '-') out.pop_back();
    return out.empty() || out == "all" ? "app" + out : out;
}

// PM2's renderApplicationName: the script's file name without its last extension.
std::string pm2_default_name(const std::string& script) {
    if (script.find(' ') != std::string::npos) return script;  // PM2 names a shell command after itself
    std::string base = std::filesystem::path(script).filename().string();
    size_t dot = base.rfind('.');
    return dot != std::string::npos && dot > 0 ? base.substr(0, dot) : base;
}

class AppConverter {
public:
    AppConverter(std::string where, const ImportContext& context, std::set<std::string>& names,
                 std::vector<std::string>& notes)
        : where_(std::move(where)), context_(context), names_(names), notes_(notes) {}

    // The TOML of one [[app]] table.
    std::string convert(const Json& app) {
        Json resolved = resolve_aliases(app);
        take_command_keys(resolved);
        std::string head = name_line() + command_lines();
        for (const auto& [key, value] : resolved.items())
            if (!kCommandKeys.contains(key)) convert_key(key, value);
        if (time_) {
            // PM2's time = true replaces any log_date_format.
            std::erase_if(lines_, [](const std::string& l) { return l.starts_with("log_date_format = "); });
            lines_.push_back("log_date_format = \"YYYY-MM-DDTHH:mm:ss\"  # PM2's time = true");
        }
        if (disable_logs_) {
            for (const char* key : {"out_file", "error_file"})
                if (emitted_.insert(key).second)
                    lines_.push_back(std::string(key) + " = \"/dev/null\"  # PM2's disable_logs = true");
        }
        // PM2 stops every app with SIGINT (its KILL_SIGNAL; no per-app key), and its graceful-stop
        // guide has apps finish their requests on SIGINT; pmd's own default is SIGTERM.
        lines_.push_back("stop_signal = \"SIGINT\"  # PM2's stop signal");
        if (!resolved.contains("exec_mode") && pm2_default_cluster(resolved))
            lines_.push_back("exec_mode = \"cluster\"  # PM2's mode for a Node app with instances");
        if (port_) env_["env"].insert_or_assign("PORT", *port_);  // PM2 sets env.PORT from port
        if (launch_.interpreter.find("python") != std::string::npos)
            env_["env"].insert_or_assign("PYTHONUNBUFFERED", "1");  // as PM2 does for Python apps
        std::string keys;
        for (const auto& line : lines_) keys += line + "\n";
        return "[[app]]\n" + head + keys + env_tables();
    }

private:
    static inline const std::set<std::string> kCommandKeys = {"name", "script", "interpreter", "node_args", "args",
                                                              "cwd"};

    bool interpreter_is_node() const {
        std::string base = std::filesystem::path(launch_.interpreter).filename().string();
        return base.ends_with("node") || base.ends_with("bun");
    }
    // An interpreter pmd does not give PM2's IPC channel (god/ decides by the executable's name).
    bool runs_without_node() const { return launch_.kind == Pm2Launch::Kind::Interpreted && !interpreter_is_node(); }

    // PM2 (Common.sink.determineExecMode) runs a Node or Bun app in cluster mode when the file
    // gives `instances` (any count, "max" included) and no exec_mode.
    bool pm2_default_cluster(const Json& app) const {
        if (launch_.kind != Pm2Launch::Kind::Interpreted || !app.contains("instances")) return false;
        const Json& n = app.at("instances");
        // Numbers as PM2 compares them (>= 1, 0, -1); a string is parseInt()ed first, "max" is 0.
        double count = n.is_number() ? n.get<double>()
                       : n.is_string() ? std::atoi(n.get<std::string>().c_str())
                                       : -2;
        return (count >= 1 || count == 0 || count == -1) && interpreter_is_node();
    }

    void note(const std::string& key, const std::string& why) {
        notes_.push_back("not converted: " + where_ + "." + key + " (" + why + ")");
    }
    void changed(const std::string& what) { notes_.push_back("changed: " + where_ + "." + what); }

    // One key per meaning, named as PM2 reads it; an alias beside its key is PM2's choice too.
    Json resolve_aliases(const Json& app) {
        Json out = Json::object();
        for (const auto& [key, value] : app.items())
            if (!kAliasOf.contains(key)) out[key] = value;
        for (const auto& [key, value] : app.items()) {
            auto it = kAliasOf.find(key);
            if (it == kAliasOf.end()) continue;
            if (out.contains(it->second)) {
                note(key, "'" + it->second + "' is given too, which PM2 uses");
                continue;
            }
            out[it->second] = value;
            written_as_[it->second] = key;
        }
        return out;
    }

    void take_command_keys(const Json& app) {
        if (app.contains("script") && app["script"].is_string()) script_ = app["script"].get<std::string>();
        else if (app.contains("script")) note("script", "not a string");
        if (app.contains("interpreter") && app["interpreter"].is_string() && !app["interpreter"].get<std::string>().empty())
            interpreter_ = app["interpreter"].get<std::string>();
        if (app.contains("node_args")) node_args_ = &app["node_args"];
        if (app.contains("args")) args_ = &app["args"];
        if (app.contains("name")) name_ = &app["name"];
        std::filesystem::path cwd = context_.base_dir;
        if (app.contains("cwd") && app["cwd"].is_string()) {
            cwd_ = app["cwd"].get<std::string>();
            cwd = std::filesystem::path(cwd_).is_absolute() || context_.base_dir.empty()
                      ? std::filesystem::path(cwd_)
                      : context_.base_dir / cwd_;
        } else if (app.contains("cwd")) {
            note("cwd", "not a string");
        }
        if (!script_.empty()) launch_ = pm2_launch({script_, interpreter_, cwd, context_.path_env});
    }

    std::string name_line() {
        std::string pm2_name;
        if (name_ && name_->is_string()) pm2_name = name_->get<std::string>();
        else if (name_) pm2_name = json_text(*name_);
        if (pm2_name.empty()) pm2_name = pm2_default_name(script_);
        if (pm2_name.empty()) return "";
        std::string name = pmd_name_for(pm2_name);
        std::string unique = name;
        for (int n = 2; names_.contains(unique); ++n) unique = name + "-" + std::to_string(n);
        names_.insert(unique);
        if (unique != pm2_name)
            changed("name \"" + pm2_name + "\" is \"" + unique + "\" in pmd" +
                    (unique != name ? " (PM2 allows duplicate names; pmd does not)" : " (names use letters, digits, _ . @ -)"));
        return "name = " + toml_string(unique) + "\n";
    }

    std::string command_lines() {
        std::string out;
        if (!cwd_.empty()) out += "cwd = " + toml_string(cwd_) + "\n";
        if (script_.empty()) return out;
        auto comment = launch_.why.empty() ? std::string() : "  # " + launch_.why;
        if (launch_.kind == Pm2Launch::Kind::Shell) {
            if (args_) changed("args: dropped, as PM2 drops them for a script with spaces");
            if (interpreter_) changed("interpreter: ignored, as PM2 ignores it for a script with spaces");
            if (node_args_) changed("node_args: ignored, as PM2 ignores them for a script with spaces");
            return out + "command = " + toml_string_array(launch_.shell_command) + comment + "\n";
        }
        out += "script = " + toml_string(launch_.script) + (launch_.script != script_ ? comment : "") + "\n";
        if (launch_.kind == Pm2Launch::Kind::Interpreted) {
            out += "interpreter = " + toml_string(launch_.interpreter) + (launch_.script == script_ ? comment : "") + "\n";
            if (node_args_)
                if (auto text = value_text("node_args", *node_args_)) out += "interpreter_args = " + *text + "\n";
        } else {
            if (launch_.script == script_ && !launch_.why.empty()) out += "# " + launch_.why + "\n";
            if (node_args_ && !(node_args_->is_array() && node_args_->empty()))
                note("node_args", "the script runs without an interpreter, so there is nothing to pass them to");
        }
        if (args_)
            if (auto text = value_text("args", *args_)) out += "args = " + *text + "\n";
        return out;
    }

    // A JSON scalar or array of scalars as TOML; nullopt (and a note) for anything else.
    std::optional<std::string> value_text(const std::string& key, const Json& v) {
        if (v.is_string()) return toml_string(v.get<std::string>());
        if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
        if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
        if (v.is_number_float()) {
            double d = v.get<double>();
            // PM2 numbers are milliseconds or bytes; a fraction of either means nothing.
            return std::to_string(static_cast<int64_t>(std::llround(d)));
        }
        if (v.is_array()) {
            std::string out = "[";
            for (const auto& item : v) {
                auto text = item.is_array() || item.is_object() ? std::nullopt : value_text(key, item);
                if (!text) {
                    note(key, "an array of nested values");
                    return std::nullopt;
                }
                out += (out.size() > 1 ? ", " : "") + *text;
            }
            return out + "]";
        }
        note(key, v.is_null() ? "null" : "a nested object");
        return std::nullopt;
    }

    void env_table(const std::string& key, const Json& v) {
        if (!v.is_object()) return note(key, "not an object of variables");
        auto& table = env_[key];
        for (const auto& [name, value] : v.items()) {
            if (value.is_string() || value.is_number() || value.is_boolean())
                table.insert_or_assign(name, json_text(value));
            else if (!value.is_null())
                note(key + "." + name, "environment values are strings; this is " + std::string(value.type_name()));
        }
    }

    std::string env_tables() {
        std::string out;
        for (const auto& [key, vars] : env_) {
            out += "\n[app." + toml_key(key) + "]\n";
            for (const auto& [name, value] : vars) out += toml_key(name) + " = " + toml_string(value) + "\n";
        }
        return out;
    }

    // "~/" is the importing user's home, as PM2 expands it for the user running `pm2 start`;
    // "NULL" is PM2's other name of /dev/null. Relative paths stay relative: pmd resolves them
    // against the app's cwd, as PM2 does.
    std::string log_path(const std::string& path) {
        if (path == "NULL") return "/dev/null";
        if (path.starts_with("~/") && !context_.home.empty()) return context_.home + path.substr(1);
        return path;
    }

    void convert_key(const std::string& key, const Json& v) {
        if (key == "env" || key.starts_with("env_")) return env_table(key, v);
        if (key == "exec_mode") {
            std::string mode = v.is_string() ? v.get<std::string>() : "";
            // pmd's cluster mode shares the port the app binds, as PM2's does (cluster/bind_broker.h).
            if (mode.starts_with("cluster"))
                lines_.push_back("exec_mode = \"cluster\"");
            else if (!mode.starts_with("fork"))
                note(key, "unknown mode");
            return;
        }
        if (key == "instances") {
            // PM2: 0 or "max" = one per CPU, -1 = CPUs minus one (no pmd equivalent: use max).
            if ((v.is_number_integer() && v.get<int64_t>() <= 0) || (v.is_string() && v.get<std::string>() == "max")) {
                if (v.is_number_integer() && v.get<int64_t>() < 0)
                    notes_.push_back("changed: " + where_ + ".instances = " + v.dump() + " (CPUs minus " +
                                     std::to_string(-v.get<int64_t>()) + ") became \"max\"");
                lines_.push_back("instances = \"max\"");
                return;
            }
        }
        if (key == "time") {
            time_ = v.is_boolean() && v.get<bool>();
            return;
        }
        if (key == "disable_logs") {
            disable_logs_ = v.is_boolean() && v.get<bool>();
            return;
        }
        if (key == "port") {
            if (v.is_number() || v.is_string()) port_ = json_text(v);
            else note(key, "not a port number");
            return;
        }
        if (key == "watch" && v.is_string()) {
            lines_.push_back("watch = " + toml_string_array({v.get<std::string>()}));
            return;
        }
        if (key == "wait_ready" && v.is_boolean() && v.get<bool>() && runs_without_node()) {
            // Only a Node app can process.send('ready'); PM2 goes on after listen_timeout
            // without it, while pmd's wait_ready would count the missing message as a failure.
            return changed("wait_ready = true was dropped: only Node apps send 'ready' (PM2 goes on after "
                           "listen_timeout); the app is ready when it listens (cluster) or has stayed up "
                           "listen_timeout");
        }
        if (key == "execute_command" || key == "username") return;  // PM2 itself overrides both
        auto mapped = pm2_key_in_pmd(key);
        if (!mapped) return note(key, pm2_key_without_equivalent(key).value_or("unknown PM2 option"));
        const std::string& target = *mapped;
        if (!emitted_.insert(target).second) return note(key, "duplicate of another key meaning '" + target + "'");
        bool is_path = target == "out_file" || target == "error_file" || target == "pid_file";
        auto text = is_path && v.is_string() ? std::optional(toml_string(log_path(v.get<std::string>())))
                                             : value_text(key, v);
        if (!text) return;
        auto alias = written_as_.find(key);
        const std::string& pm2_key = alias == written_as_.end() ? key : alias->second;
        lines_.push_back(target + " = " + *text + (target != pm2_key ? "  # PM2: " + pm2_key : ""));
    }

    std::string where_;
    const ImportContext& context_;
    std::set<std::string>& names_;
    std::vector<std::string>& notes_;
    std::vector<std::string> lines_;  // key = value lines of the [[app]] table
    std::map<std::string, std::map<std::string, std::string>> env_;  // [app.env...] tables
    std::set<std::string> emitted_;
    std::map<std::string, std::string> written_as_;  // PM2's key → the alias the file used
    std::string script_;
    std::optional<std::string> interpreter_;
    std::string cwd_;
    const Json* node_args_ = nullptr;
    const Json* args_ = nullptr;
    const Json* name_ = nullptr;
    Pm2Launch launch_;
    std::optional<std::string> port_;
    bool time_ = false;
    bool disable_logs_ = false;
};

}  // namespace

ImportContext import_context_for(const std::filesystem::path& base_dir) {
    ImportContext context;
    context.base_dir = base_dir;
    // Commands are looked for where pmd will look: the PATH its apps get, not the importer's.
    context.path_env = kDefaultAppPath;
    if (const char* home = std::getenv("HOME")) context.home = home;
    return context;
}

ImportResult import_ecosystem_json(std::string_view json, const ImportContext& context) {
    Json root = Json::parse(json, nullptr, false);
    if (root.is_discarded())
        throw Error(Error::Kind::InvalidSpec,
                    "the ecosystem file is not valid JSON; check it with `node -e 'require(\"./file\")'`");

    ImportResult result;
    const Json* apps = nullptr;
    Json single = Json::array();
    const char* apps_key = root.is_object() && root.contains("apps") ? "apps"
                           : root.is_object() && root.contains("pm2") ? "pm2"
                                                                      : nullptr;
    if (apps_key && root[apps_key].is_object()) {
        single.push_back(root[apps_key]);  // PM2 takes a single app there too
        apps = &single;
    } else if (apps_key) {
        apps = &root[apps_key];
    }
    if (apps_key) {
        for (const auto& [key, value] : root.items())
            if (key == "deploy")
                result.notes.push_back("not converted: deploy (pmd does not deploy code; keep your deploy tooling)");
            else if (key == "static")
                result.notes.push_back("not converted: static (PM2's built-in file server; serve files with a web server app)");
            else if (key != apps_key)
                result.notes.push_back("not converted: " + key + " (unknown top-level key)");
    } else if (root.is_array()) {
        apps = &root;
    } else if (root.is_object() && (root.contains("script") || root.contains("name") || root.contains("cmd") ||
                                  root.contains("command") || root.contains("exec"))) {
        single.push_back(root);
        apps = &single;
    }
    if (!apps || !apps->is_array() || apps->empty())
        throw Error(Error::Kind::InvalidSpec, "no apps found: expected {\"apps\": [...]} as in ecosystem.config.js");

    std::string body;
    std::set<std::string> names;
    for (size_t i = 0; i < apps->size(); ++i) {
        const Json& app = (*apps)[i];
        std::string where = "apps[" + std::to_string(i) + "]";
        if (!app.is_object()) {
            result.notes.push_back("not converted: " + where + " (not an object)");
            continue;
        }
        body += "\n" + AppConverter(where, context, names, result.notes).convert(app);
    }

    // Values PM2 took but pmd would refuse (say kill_timeout = "soon") are better known now.
    // The header holds one comment line per note, so problems are found on a text whose header
    // already has one line per problem: then their line numbers match the final file.
    auto compose = [&](const std::vector<std::string>& notes) {
        std::string text = "# Converted from a PM2 ecosystem file by `pmctl import`.\n";
        for (const auto& n : notes) text += "# " + n + "\n";
        return text + body;
    };
    auto problems_in = [](const std::string& text) {
        std::vector<std::string> lines;
        try {
            parse_app_text(text, "", "/", {});
        } catch (const Error& e) {
            std::string message = e.what();
            for (size_t start = 0; start <= message.size();) {
                size_t end = std::min(message.find('\n', start), message.size());
                // Messages start ":LINE:COLUMN:" (no file name yet): "line LINE:COLUMN:".
                lines.push_back("needs a fix: line " + message.substr(start + 1, end - start - 1));
                start = end + 1;
            }
        }
        return lines;
    };
    if (auto first = problems_in(compose(result.notes)); !first.empty()) {
        auto with_placeholders = result.notes;
        with_placeholders.resize(result.notes.size() + first.size(), "needs a fix");
        auto problems = problems_in(compose(with_placeholders));
        result.notes.insert(result.notes.end(), problems.begin(), problems.end());
    }
    result.toml = compose(result.notes);
    return result;
}

}  // namespace pmd
