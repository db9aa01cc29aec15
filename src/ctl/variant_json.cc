#include "ctl/variant_json.h"

#include <vector>

namespace pmd {

nlohmann::json variant_map_to_json(const std::map<std::string, sdbus::Variant>& map) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : map) out[k] = variant_to_json(v);
    return out;
}

nlohmann::json variant_to_json(const sdbus::Variant& v) {
    const std::string type = v.peekValueType();
    if (type == "s") return v.get<std::string>();
    if (type == "o") return std::string(v.get<sdbus::ObjectPath>());
    if (type == "g") return std::string(v.get<sdbus::Signature>());
    if (type == "b") return v.get<bool>();
    if (type == "i") return v.get<int32_t>();
    if (type == "u") return v.get<uint32_t>();
    if (type == "x") return v.get<int64_t>();
    if (type == "t") return v.get<uint64_t>();
    if (type == "n") return v.get<int16_t>();
    if (type == "q") return v.get<uint16_t>();
    if (type == "y") return v.get<uint8_t>();
    if (type == "d") return v.get<double>();
    if (type == "as") return v.get<std::vector<std::string>>();
    if (type == "ai") return v.get<std::vector<int32_t>>();
    if (type == "au") return v.get<std::vector<uint32_t>>();
    if (type == "a{ss}") return v.get<std::map<std::string, std::string>>();
    if (type == "a{sv}") return variant_map_to_json(v.get<std::map<std::string, sdbus::Variant>>());
    if (type == "aa{sv}") {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& m : v.get<std::vector<std::map<std::string, sdbus::Variant>>>()) out.push_back(variant_map_to_json(m));
        return out;
    }
    // The one struct array pmd has: LogFiles, (stream, instance or -1, path), named as its
    // interface documentation names them.
    if (type == "a(sis)") {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& f : v.get<std::vector<sdbus::Struct<std::string, int32_t, std::string>>>())
            out.push_back({{"stream", f.get<0>()}, {"instance", f.get<1>()}, {"path", f.get<2>()}});
        return out;
    }
    if (type == "av") {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& item : v.get<std::vector<sdbus::Variant>>()) out.push_back(variant_to_json(item));
        return out;
    }
    return nullptr;
}

}  // namespace pmd
