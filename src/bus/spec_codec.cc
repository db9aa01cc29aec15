#include "bus/spec_codec.h"

#include <cstdint>
#include <limits>

#include "base/error.h"
#include "config/app_dump.h"
#include "config/app_fields.h"
#include "config/config_errors.h"

namespace pmd {
namespace {

toml::array variants_to_array(const std::string& field, const std::vector<sdbus::Variant>& items);

// One value; `field` names it in errors ("env.PATH", "listen[1]").
void insert_variant(toml::table& table, const std::string& key, const std::string& field, const sdbus::Variant& v);

template <typename Push>
void convert_variant(const std::string& field, const sdbus::Variant& v, Push&& push) {
    const std::string type = v.peekValueType();
    auto too_big = [&] {
        throw Error(Error::Kind::InvalidSpec, "field '" + field + "': number out of range");
    };
    if (type == "s") push(toml::value<std::string>(v.get<std::string>()));
    else if (type == "b") push(toml::value<bool>(v.get<bool>()));
    else if (type == "i") push(toml::value<int64_t>(v.get<int32_t>()));
    else if (type == "u") push(toml::value<int64_t>(v.get<uint32_t>()));
    else if (type == "x") push(toml::value<int64_t>(v.get<int64_t>()));
    else if (type == "n") push(toml::value<int64_t>(v.get<int16_t>()));
    else if (type == "q") push(toml::value<int64_t>(v.get<uint16_t>()));
    else if (type == "y") push(toml::value<int64_t>(v.get<uint8_t>()));
    else if (type == "t") {
        auto t = v.get<uint64_t>();
        if (t > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) too_big();
        push(toml::value<int64_t>(static_cast<int64_t>(t)));
    } else if (type == "d") push(toml::value<double>(v.get<double>()));
    else if (type == "as") {
        toml::array a;
        for (auto& s : v.get<std::vector<std::string>>()) a.push_back(s);
        push(std::move(a));
    } else if (type == "a{ss}") {
        toml::table t;
        for (auto& [k, s] : v.get<std::map<std::string, std::string>>()) t.insert(k, s);
        push(std::move(t));
    } else if (type == "a{sv}") {
        push(variant_map_to_toml(v.get<VariantMap>()));
    } else if (type == "av") {
        push(variants_to_array(field, v.get<std::vector<sdbus::Variant>>()));
    } else if (type == "aa{sv}") {
        toml::array a;
        for (auto& m : v.get<std::vector<VariantMap>>()) a.push_back(variant_map_to_toml(m));
        push(std::move(a));
    } else {
        throw Error(Error::Kind::InvalidSpec, "field '" + field + "': values of D-Bus type '" + type +
                                                  "' are not accepted (use s, b, i, u, t, x, d, as, a{ss}, a{sv})");
    }
}

toml::array variants_to_array(const std::string& field, const std::vector<sdbus::Variant>& items) {
    toml::array a;
    size_t i = 0;
    for (const auto& item : items) {
        convert_variant(field + "[" + std::to_string(i++) + "]", item, [&](auto&& node) { a.push_back(std::move(node)); });
    }
    return a;
}

void insert_variant(toml::table& table, const std::string& key, const std::string& field, const sdbus::Variant& v) {
    convert_variant(field, v, [&](auto&& node) { table.insert(key, std::move(node)); });
}

sdbus::Variant node_to_variant(const toml::node& node) {
    if (auto s = node.as_string()) return sdbus::Variant(s->get());
    if (auto b = node.as_boolean()) return sdbus::Variant(b->get());
    if (auto i = node.as_integer()) return sdbus::Variant(static_cast<int64_t>(i->get()));
    if (auto d = node.as_floating_point()) return sdbus::Variant(d->get());
    if (auto t = node.as_table()) return sdbus::Variant(toml_to_variant_map(*t));
    if (auto a = node.as_array()) {
        bool all_strings = true, all_tables = true;
        for (const auto& item : *a) {
            all_strings &= item.is_string();
            all_tables &= item.is_table();
        }
        if (all_strings) {
            std::vector<std::string> out;
            for (const auto& item : *a) out.push_back(item.as_string()->get());
            return sdbus::Variant(out);
        }
        if (all_tables) {
            std::vector<VariantMap> out;
            for (const auto& item : *a) out.push_back(toml_to_variant_map(*item.as_table()));
            return sdbus::Variant(out);
        }
        std::vector<sdbus::Variant> out;
        for (const auto& item : *a) out.push_back(node_to_variant(item));
        return sdbus::Variant(out);
    }
    return sdbus::Variant(std::string());  // dates and times do not occur in app tables
}

}  // namespace

toml::table variant_map_to_toml(const VariantMap& map) {
    toml::table table;
    for (const auto& [key, value] : map) insert_variant(table, key, key, value);
    return table;
}

VariantMap toml_to_variant_map(const toml::table& table) {
    VariantMap out;
    for (const auto& [key, node] : table) out[std::string(key.str())] = node_to_variant(node);
    return out;
}

AppSpec decode_spec(const VariantMap& map, const AppSpec& defaults) {
    toml::table table = variant_map_to_toml(map);
    ConfigErrors errors("request");
    AppSpec spec = defaults;
    AppTableContext ctx;
    ctx.base_dir = "/";
    decode_app_table(table, ctx, spec, errors);
    errors.throw_if_any();
    return spec;
}

// Through the dump writer, so the bus shows a spec exactly as `pmctl save` would write it.
VariantMap encode_spec(const AppSpec& spec) {
    toml::table doc = toml::parse(dump_apps({spec}));
    const toml::array* apps = doc["app"].as_array();
    if (!apps || apps->empty() || !apps->front().is_table()) return {};
    return toml_to_variant_map(*apps->front().as_table());
}

}  // namespace pmd
