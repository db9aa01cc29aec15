#include "config/listen_address.h"

#include <sys/un.h>

#include <charconv>

namespace pmd {
namespace {

std::optional<uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) return std::nullopt;
    return static_cast<uint16_t>(value);
}

}  // namespace

std::optional<ParsedListenAddress> parse_listen_address(std::string_view text, std::string* why) {
    auto fail = [&](std::string reason) -> std::optional<ParsedListenAddress> {
        if (why) *why = std::move(reason);
        return std::nullopt;
    };
    ParsedListenAddress out;
    if (text.starts_with("unix:")) {
        out.family = ParsedListenAddress::Family::Unix;
        out.path = std::string(text.substr(5));
        if (out.path.empty() || (out.path[0] != '/' && out.path[0] != '@'))
            return fail(
                "a unix socket needs an absolute path (\"unix:/run/app.sock\") or an abstract name (\"unix:@app\")");
        if (out.path.size() >= sizeof(sockaddr_un::sun_path))
            return fail("unix socket path is longer than " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                        " bytes");
        return out;
    }
    if (text.starts_with("tcp6:")) {
        out.family = ParsedListenAddress::Family::Tcp6;
        auto rest = text.substr(5);
        auto close = rest.find(']');
        if (rest.empty() || rest[0] != '[' || close == std::string_view::npos || close == 1)
            return fail("an IPv6 address goes in brackets: \"tcp6:[::1]:8080\"");
        out.host = std::string(rest.substr(1, close - 1));
        if (out.host.find_first_not_of("0123456789abcdefABCDEF:.%") != std::string::npos &&
            out.host.find('%') == std::string::npos)
            return fail("'" + out.host + "' is not an IPv6 address");
        rest.remove_prefix(close + 1);
        if (!rest.starts_with(":")) return fail("missing \":PORT\" after the IPv6 address");
        auto port = parse_port(rest.substr(1));
        if (!port) return fail("port must be a number from 1 to 65535");
        out.port = *port;
        return out;
    }
    if (text.starts_with("tcp:")) {
        auto rest = text.substr(4);
        auto colon = rest.rfind(':');
        if (colon == std::string_view::npos || colon == 0)
            return fail("expected \"tcp:HOST:PORT\", e.g. \"tcp:0.0.0.0:8080\"");
        out.host = std::string(rest.substr(0, colon));
        if (out.host.find(':') != std::string::npos) return fail("an IPv6 address needs \"tcp6:[ADDR]:PORT\"");
        auto port = parse_port(rest.substr(colon + 1));
        if (!port) return fail("port must be a number from 1 to 65535");
        out.port = *port;
        return out;
    }
    return fail("expected \"tcp:HOST:PORT\", \"tcp6:[ADDR]:PORT\" or \"unix:/path\"");
}

bool is_valid_fd_name(std::string_view name) {
    if (name.empty() || name.size() > 255) return false;
    for (char c : name)
        if (c <= ' ' || c > '~' || c == ':') return false;
    return true;
}

}  // namespace pmd
