// Listen addresses as written in app files and pmd.toml: "tcp:HOST:PORT", "tcp6:[ADDR]:PORT",
// "unix:/absolute/path" or "unix:@abstract". Parsing only checks syntax; binding (and name
// resolution of HOST) happens in cluster/ when the app starts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pmd {

struct ParsedListenAddress {
    enum class Family { Tcp, Tcp6, Unix };
    Family family = Family::Tcp;
    std::string host;  // Tcp: name or IPv4 literal; Tcp6: the literal between the brackets
    uint16_t port = 0;
    std::string path;  // Unix: "/run/app.sock", or "@name" for the abstract namespace
};

// nullopt with *why set to a human reason when the address is malformed.
std::optional<ParsedListenAddress> parse_listen_address(std::string_view text, std::string* why);

// LISTEN_FDNAMES entries must be non-empty, printable ASCII without ':' and at most 255 bytes.
bool is_valid_fd_name(std::string_view name);

}  // namespace pmd
