#include "config/http_url.h"

#include <arpa/inet.h>

namespace pmd {

std::optional<HttpTarget> parse_http_url(std::string_view url, std::string* why) {
    auto fail = [&](std::string message) -> std::optional<HttpTarget> {
        if (why) *why = std::move(message);
        return std::nullopt;
    };
    constexpr std::string_view scheme = "http://";
    if (url.substr(0, scheme.size()) != scheme)
        return fail("'" + std::string(url) + "' is not an http:// URL (https is not supported)");
    std::string_view rest = url.substr(scheme.size());
    auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    HttpTarget t;
    t.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    t.host = std::string(authority);
    std::string host;
    std::string_view port_text;
    if (!authority.empty() && authority[0] == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return fail("unterminated [IPv6] address in '" + std::string(url) + "'");
        host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') return fail("unexpected text after the address in '" + std::string(url) + "'");
            port_text = after.substr(1);
        }
    } else {
        auto colon = authority.rfind(':');
        host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    unsigned port = 80;
    if (!port_text.empty()) {
        port = 0;
        for (char c : port_text) {
            if (c < '0' || c > '9' || port > 65535) return fail("bad port in '" + std::string(url) + "'");
            port = port * 10 + static_cast<unsigned>(c - '0');
        }
        if (port == 0 || port > 65535) return fail("port in '" + std::string(url) + "' must be 1..65535");
    }
    if (host == "localhost") host = "127.0.0.1";
    auto* v4 = reinterpret_cast<sockaddr_in*>(&t.address);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&t.address);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<uint16_t>(port));
        t.address_length = sizeof *v4;
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<uint16_t>(port));
        t.address_length = sizeof *v6;
    } else {
        return fail("the host of '" + std::string(url) +
                    "' must be an IP address or localhost (pmd does not resolve names in its event loop)");
    }
    return t;
}

}  // namespace pmd
