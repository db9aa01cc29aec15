// The target of an http health check ("http://127.0.0.1:8080/health"): parsed where the app is
// validated (config/) and where the probe connects (god/health_probe.h).
//
// HTTP targets are IP literals (or "localhost" = 127.0.0.1): a name lookup would block the
// loop, and a health check is about this machine's instance anyway.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>

namespace pmd {

struct HttpTarget {
    sockaddr_storage address{};
    socklen_t address_length = 0;
    std::string host;  // as written, for the Host header
    std::string path;  // "/health"
};

// "http://127.0.0.1:8080/health", "http://[::1]/", "http://localhost:3000". nullopt with `why`
// set when the URL is not of that form.
std::optional<HttpTarget> parse_http_url(std::string_view url, std::string* why = nullptr);

}  // namespace pmd
