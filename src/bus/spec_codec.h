// App specs on the bus are a{sv} with exactly the keys of an [[app]] table in an app file, so
// there is one schema: the dictionary is turned into a TOML table and decoded by config/ with
// the same checks (unknown keys with did-you-mean, bounds, durations, sizes).
#pragma once

#include <sdbus-c++/Types.h>
#include <toml++/toml.h>

#include <map>
#include <string>

#include "spec/app_spec.h"

namespace pmd {

using VariantMap = std::map<std::string, sdbus::Variant>;

// Throws Error(InvalidSpec) naming the field for values of a type TOML cannot hold.
toml::table variant_map_to_toml(const VariantMap& map);
VariantMap toml_to_variant_map(const toml::table& table);

// Throws Error(InvalidSpec) listing every problem. The spec starts from `defaults` ([defaults]
// of pmd.toml) as an app file's apps do: the map's keys win, env merges key by key.
AppSpec decode_spec(const VariantMap& map, const AppSpec& defaults = AppSpec{});
VariantMap encode_spec(const AppSpec& spec);

}  // namespace pmd
