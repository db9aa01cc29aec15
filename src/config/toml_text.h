// Writing TOML by hand (dumps, imports) so keys keep a readable order and comments fit in;
// toml++'s formatter sorts keys. These produce fragments that toml++ reads back exactly.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pmd {

// A basic string with every character TOML requires escaped: "a \"b\"\n".
std::string toml_string(std::string_view text);
// A bare key when possible (A-Za-z0-9_-), a quoted one otherwise.
std::string toml_key(std::string_view key);
// ["a", "b"]
std::string toml_string_array(const std::vector<std::string>& items);

}  // namespace pmd
