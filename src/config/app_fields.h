// Decoding of one app table ([[app]] in an app file, [defaults] in pmd.toml) onto an AppSpec.
// Shared by app files, pmd.toml and dumps so the three accept exactly the same keys.
#pragma once

#include <toml++/toml.h>

#include <filesystem>
#include <span>
#include <string_view>

#include "config/config_errors.h"
#include "spec/app_spec.h"

namespace pmd {

struct AppTableContext {
    std::filesystem::path base_dir;  // relative cwd is resolved against it (the file's directory)
    std::string_view profile;        // "production" selects env_production; empty = none
    bool is_defaults = false;        // [defaults]: keys naming one app (name, script...) are refused
};

struct AppTableOutcome {
    bool ok = true;             // no problem was reported for this table
    bool used_profile = false;  // the table has env_<profile> for ctx.profile
};

// Applies every key of `table` onto `spec`, which starts out holding the defaults (built-in, or
// [defaults] from pmd.toml; `env` merges over the defaults' env). Reports each problem to
// `errors` with the position of the key or value concerned, then checks validate_spec() rules.
AppTableOutcome decode_app_table(const toml::table& table, const AppTableContext& ctx, AppSpec& spec,
                                 ConfigErrors& errors);

// One app from a table built in code, e.g. bus/ turning StartApp's a{sv} into a toml::table so
// requests and files share one schema. Throws Error(InvalidSpec) listing every problem as
// "<source_name>: field 'key': ...".
AppSpec decode_app_request(const toml::table& table, const std::string& source_name,
                           const std::filesystem::path& base_dir, const AppSpec& defaults = {});

// Every key an app table accepts, besides env_<profile> (spec/app_keys.h, in its order).
std::span<const std::string_view> app_table_keys();

// Whether the reader decodes `key` (a unit test holds every key of spec/app_keys.h to it).
bool app_table_has_reader(std::string_view key);

}  // namespace pmd
