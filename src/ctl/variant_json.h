// D-Bus values as JSON for `pmctl ls --json` and `describe --json`: dictionaries become
// objects, arrays arrays, object paths strings. Field names are the bus keys, which are the
// documented, stable names.
#pragma once

#include <sdbus-c++/Types.h>

#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace pmd {

nlohmann::json variant_to_json(const sdbus::Variant& v);
nlohmann::json variant_map_to_json(const std::map<std::string, sdbus::Variant>& map);

}  // namespace pmd
