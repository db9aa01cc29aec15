#include "config/ecosystem_import.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "base/error.h"
#include "config/app_file.h"
#include "config/pm2_keys.h"
#include "config/toml_text.h"

namespace pmd {
namespace {

using Json = nlohmann::ordered_json;

// PM2 picks an interpreter from the script's extension; pmd runs what it is told, so the
// import writes it out.
std::string interpreter_for(const std::string& script) {
    static const std::pair<const char*, const char*> by_extension[] = {
        {".js", "node"}, {".cjs", "node"}, {".mjs", "node"}, {".ts", "ts-node"}, {".py", "python3"},
        {".sh", "bash"}, {".rb", "ruby"},  {".pl", "perl"},  {".php", "php"},    {".coffee", "coffee"}};
    for (auto [extension, interpreter] : by_extension)
        if (script.ends_with(extension)) return interpreter;
    return "";
}

class AppConverter {
public:
    AppConverter(std::string where, std::vector<std::string>& notes) : where_(std::move(where)), notes_(notes) {}

    // The TOML of one [[app]] table.
    std::string convert(const Json& app) {
        // The name first, where a reader looks for it, whatever order the JS object had.
        if (app.contains("name")) convert_key("name", app["name"]);
        for (const auto& [key, value] : app.items())
            if (key != "name") convert_key(key, value);
        if (!has_interpreter_ && !script_.empty()) {
            if (auto interpreter = interpreter_for(script_); !interpreter.empty())
                keys_ += "interpreter = " + toml_string(interpreter) + "  # PM2 picked it from the extension\n";
        }
        if (time_ && !has_date_format_) keys_ += "log_date_format = \"YYYY-MM-DD HH:mm:ss Z\"  # PM2's time = true\n";
        return "[[app]]\n" + keys_ + tables_;
    }

private:
    void note(const std::string& key, const std::string& why) {
        notes_.push_back("not converted: " + where_ + "." + key + " (" + why + ")");
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
        tables_ += "\n[app." + toml_key(key) + "]\n";
        for (const auto& [name, value] : v.items()) {
            if (value.is_string())
                tables_ += toml_key(name) + " = " + toml_string(value.get<std::string>()) + "\n";
            else if (value.is_number() || value.is_boolean())
                tables_ += toml_key(name) + " = " + toml_string(value.dump()) + "\n";
            else
                note(key + "." + name, "environment values are strings; this is " + std::string(value.type_name()));
        }
    }

    void convert_key(const std::string& key, const Json& v) {
        if (key == "env" || key.starts_with("env_")) return env_table(key, v);
        if (key == "exec_mode") {
            std::string mode = v.is_string() ? v.get<std::string>() : "";
            // pmd's cluster mode shares the port the app binds, as PM2's does (cluster/bind_broker.h).
            if (mode.starts_with("cluster"))
                keys_ += "exec_mode = \"cluster\"\n";
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
                keys_ += "instances = \"max\"\n";
                return;
            }
        }
        if (key == "time") {
            time_ = v.is_boolean() && v.get<bool>();
            return;
        }
        if (key == "watch" && v.is_string()) {
            keys_ += "watch = " + toml_string_array({v.get<std::string>()}) + "\n";
            return;
        }
        auto mapped = pm2_key_in_pmd(key);
        if (!mapped) return note(key, pm2_key_without_equivalent(key).value_or("unknown PM2 option"));
        const std::string& target = *mapped;
        if (!emitted_.insert(target).second) return note(key, "duplicate of another key meaning '" + target + "'");
        auto text = value_text(key, v);
        if (!text) return;
        if (target == "interpreter") has_interpreter_ = true;
        if (target == "log_date_format") has_date_format_ = true;
        if (target == "script" && v.is_string()) script_ = v.get<std::string>();
        keys_ += target + " = " + *text + (target != key ? "  # PM2: " + key : "") + "\n";
    }

    std::string where_;
    std::vector<std::string>& notes_;
    std::string keys_;    // key = value lines of the [[app]] table
    std::string tables_;  // [app.env...] sub-tables, which must follow the plain keys
    std::set<std::string> emitted_;
    std::string script_;
    bool has_interpreter_ = false;
    bool has_date_format_ = false;
    bool time_ = false;
};

}  // namespace

ImportResult import_ecosystem_json(std::string_view json) {
    Json root = Json::parse(json, nullptr, false);
    if (root.is_discarded())
        throw Error(Error::Kind::InvalidSpec,
                    "the ecosystem file is not valid JSON; check it with `node -e 'require(\"./file\")'`");

    ImportResult result;
    const Json* apps = nullptr;
    Json single = Json::array();
    if (root.is_object() && root.contains("apps")) {
        apps = &root["apps"];
        for (const auto& [key, value] : root.items())
            if (key == "deploy")
                result.notes.push_back("not converted: deploy (pmd does not deploy code; keep your deploy tooling)");
            else if (key != "apps")
                result.notes.push_back("not converted: " + key + " (unknown top-level key)");
    } else if (root.is_array()) {
        apps = &root;
    } else if (root.is_object() && (root.contains("script") || root.contains("name"))) {
        single.push_back(root);
        apps = &single;
    }
    if (!apps || !apps->is_array() || apps->empty())
        throw Error(Error::Kind::InvalidSpec, "no apps found: expected {\"apps\": [...]} as in ecosystem.config.js");

    std::string body;
    for (size_t i = 0; i < apps->size(); ++i) {
        const Json& app = (*apps)[i];
        std::string where = "apps[" + std::to_string(i) + "]";
        if (!app.is_object()) {
            result.notes.push_back("not converted: " + where + " (not an object)");
            continue;
        }
        body += "\n" + AppConverter(where, result.notes).convert(app);
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
