// Collects every problem found in one config file so the user sees them all at once, each as
// "FILE:LINE:COLUMN: field 'KEY': what is wrong". A file with any error changes nothing.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <string_view>
#include <vector>

namespace pmd {

class ConfigErrors {
public:
    explicit ConfigErrors(std::string source_name) : source_(std::move(source_name)) {}

    // `field` may be empty for problems that concern no single key (e.g. a missing key).
    void add(const toml::source_region& where, std::string_view field, std::string_view message);
    void add(const toml::source_position& where, std::string_view field, std::string_view message);

    bool empty() const { return entries_.empty(); }
    const std::string& source_name() const { return source_; }

    // Throws Error(InvalidSpec) whose message is every line, in file order, joined by '\n'.
    void throw_if_any() const;

private:
    std::string source_;
    // (line, column, text), sorted on throw so messages follow the file.
    struct Entry {
        uint32_t line, column;
        std::string text;
    };
    std::vector<Entry> entries_;
};

// Parses a whole document; a syntax error is thrown at once as Error(InvalidSpec) with its
// position, since nothing after it can be trusted.
toml::table parse_toml_document(std::string_view text, const ConfigErrors& errors);

// "a string \"lots\"", "the number -3", "a table": what a value is, for "expected X, got Y".
std::string describe_toml_value(const toml::node& node);

}  // namespace pmd
