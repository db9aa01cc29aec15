#include "ctl/ecosystem_yaml.h"

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <regex>

#include "base/error.h"

namespace pmd {
namespace {

using Json = nlohmann::ordered_json;

// A plain (unquoted) scalar as YAML 1.2's core schema reads it, which is what js-yaml does;
// a quoted one is always a string.
Json plain_scalar(const std::string& text) {
    static const std::regex kTrue("true|True|TRUE"), kFalse("false|False|FALSE"), kNull("~|null|Null|NULL|");
    static const std::regex kInt("[-+]?[0-9]+"), kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
    if (std::regex_match(text, kTrue)) return true;
    if (std::regex_match(text, kFalse)) return false;
    if (std::regex_match(text, kNull)) return nullptr;
    if (std::regex_match(text, kInt)) {
        int64_t n = 0;
        const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
        if (std::from_chars(begin, text.data() + text.size(), n).ec == std::errc()) return n;
    }
    if (std::regex_match(text, kFloat)) return std::stod(text);
    return text;
}

Json to_json(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined: return nullptr;
        case YAML::NodeType::Scalar:
            return node.Tag() == "?" ? plain_scalar(node.Scalar()) : Json(node.Scalar());
        case YAML::NodeType::Sequence: {
            Json out = Json::array();
            for (const auto& item : node) out.push_back(to_json(item));
            return out;
        }
        case YAML::NodeType::Map: {
            Json out = Json::object();
            for (const auto& entry : node) out[entry.first.as<std::string>()] = to_json(entry.second);
            return out;
        }
    }
    return nullptr;
}

}  // namespace

std::string ecosystem_yaml_to_json(const std::string& text, const std::string& file) {
    try {
        return to_json(YAML::Load(text)).dump();
    } catch (const YAML::Exception& e) {
        // Marks count from 0; editors count lines and columns from 1.
        throw Error(Error::Kind::InvalidSpec, file + ":" + std::to_string(e.mark.line + 1) + ":" +
                                                  std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
}

}  // namespace pmd
