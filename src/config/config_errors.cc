#include "config/config_errors.h"

#include <algorithm>

#include "base/error.h"

namespace pmd {

void ConfigErrors::add(const toml::source_region& where, std::string_view field, std::string_view message) {
    add(where.begin, field, message);
}

void ConfigErrors::add(const toml::source_position& where, std::string_view field, std::string_view message) {
    // Tables built in code (a bus request turned into TOML) have no position: line 0.
    std::string text =
        source_ + (where.line ? ":" + std::to_string(where.line) + ":" + std::to_string(where.column) : "") + ": ";
    if (!field.empty()) text += "field '" + std::string(field) + "': ";
    text += message;
    entries_.push_back({where.line, where.column, std::move(text)});
}

void ConfigErrors::throw_if_any() const {
    if (entries_.empty()) return;
    auto sorted = entries_;
    std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
        return a.line != b.line ? a.line < b.line : a.column < b.column;
    });
    std::string message;
    for (const auto& e : sorted) {
        if (!message.empty()) message += '\n';
        message += e.text;
    }
    throw Error(Error::Kind::InvalidSpec, message);
}

toml::table parse_toml_document(std::string_view text, const ConfigErrors& errors) {
    try {
        return toml::parse(text, errors.source_name());
    } catch (const toml::parse_error& e) {
        ConfigErrors syntax(errors.source_name());
        syntax.add(e.source(), "", "TOML syntax error: " + std::string(e.description()));
        syntax.throw_if_any();
    }
    return {};
}

std::string describe_toml_value(const toml::node& node) {
    if (auto s = node.as_string()) {
        std::string text = s->get();
        if (text.size() > 40) text = text.substr(0, 37) + "...";
        return "\"" + text + "\"";
    }
    if (auto i = node.as_integer()) return std::to_string(i->get());
    if (auto f = node.as_floating_point()) return std::to_string(f->get());
    if (auto b = node.as_boolean()) return b->get() ? "true" : "false";
    if (node.is_array()) return "an array";
    if (node.is_table()) return "a table";
    return "a date/time";
}

}  // namespace pmd
