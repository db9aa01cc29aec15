#include "config/app_file.h"

#include <fstream>
#include <map>
#include <sstream>

#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "config/app_fields.h"
#include "config/config_errors.h"
#include "config/did_you_mean.h"

namespace pmd {
namespace {

constexpr std::string_view kTopLevelKeys[] = {"app"};

}  // namespace

std::string read_text_file(const std::filesystem::path& path) {
    std::error_code ec;
    // ifstream opens a directory without complaint and reads nothing from it.
    if (std::filesystem::is_directory(path, ec))
        throw Error(Error::Kind::Failed, "cannot read " + path.string() + ": it is a directory, not a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(Error::Kind::Failed, "cannot read " + path.string() + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw Error(Error::Kind::Failed, "cannot read " + path.string() + ": " + std::strerror(errno));
    return text.str();
}

std::vector<AppSpec> load_app_file(const std::filesystem::path& path, const AppFileOptions& options) {
    auto text = read_text_file(path);
    auto dir = std::filesystem::absolute(path).parent_path();
    return parse_app_text(text, path.string(), dir, options);
}

std::vector<AppSpec> parse_app_text(std::string_view toml_text, const std::string& source_name,
                                    const std::filesystem::path& base_dir, const AppFileOptions& options) {
    ConfigErrors errors(source_name);
    toml::table root = parse_toml_document(toml_text, errors);

    std::vector<AppSpec> apps;
    std::map<std::string, toml::source_position> first_seen;  // app name → where it was defined
    bool profile_used = false;
    const toml::array* app_array = nullptr;

    for (const auto& [key, node] : root) {
        if (key.str() == "app") {
            app_array = node.as_array();
            if (!app_array || !app_array->is_array_of_tables())
                errors.add(node.source(), "app", "apps are written as [[app]] tables (double brackets), one per app");
            continue;
        }
        std::string hint = did_you_mean_suffix(key.str(), kTopLevelKeys);
        errors.add(key.source(), key.str(), "unknown top-level key; an app file holds [[app]] tables" + hint);
    }
    if (!app_array && errors.empty() && !options.allow_no_apps)
        errors.add(toml::source_position{1, 1}, "", "no [[app]] table in this file");

    if (app_array && app_array->is_array_of_tables()) {
        AppTableContext ctx{base_dir, options.profile, false};
        for (const auto& element : *app_array) {
            toml::table dump_table;
            std::string desired_state;
            if (options.desired_stopped && element.as_table()->contains("desired_state")) {
                dump_table = *element.as_table();
                const toml::node& node = *dump_table.get("desired_state");
                if (auto text = node.value<std::string>(); text && (*text == "stopped" || *text == "online"))
                    desired_state = *text;
                else
                    errors.add(node.source(), "desired_state", "is \"stopped\" or \"online\"");
                dump_table.erase("desired_state");
            }
            const auto& table = dump_table.empty() ? *element.as_table() : dump_table;
            AppSpec spec = options.defaults;
            auto outcome = decode_app_table(table, ctx, spec, errors);
            if (desired_state == "stopped" && !spec.name.empty()) options.desired_stopped->insert(spec.name);
            profile_used |= outcome.used_profile;
            if (!spec.name.empty()) {
                const toml::node* name_node = table.get("name");
                auto where = name_node ? name_node->source().begin : table.source().begin;
                if (auto [it, fresh] = first_seen.emplace(spec.name, where); !fresh)
                    errors.add(where, "name",
                               "another app in this file is named '" + spec.name + "' (line " +
                                   std::to_string(it->second.line) + "); names must be unique");
            }
            apps.push_back(std::move(spec));
        }
    }
    // `--env prodution` silently starting with the base env would be a quiet surprise.
    if (!options.profile.empty() && !profile_used && !apps.empty() && errors.empty())
        errors.add(toml::source_position{1, 1}, "",
                   "no app in this file has env_" + std::string(options.profile) + " for profile '" +
                       std::string(options.profile) + "'");
    errors.throw_if_any();
    return apps;
}

}  // namespace pmd
