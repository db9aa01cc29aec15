// One health probe of one instance, run in the event loop without blocking it: a TCP connect,
// an HTTP/1.0 GET (connect, send, read the status line), or a command whose exit code decides.
// Each finishes within its timeout and reports once through `done`; destroying the probe
// cancels it (closing its socket or killing its command). Its HTTP target is config/http_url.h.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/http_url.h"
#include "event/event_loop.h"
#include "satan/spawner.h"

namespace pmd {

struct ProbeResult {
    bool ok = false;
    std::string message;  // "HTTP 200", "connection refused", "exited with status 1", "timed out after 5s"
};
using ProbeDone = std::function<void(ProbeResult)>;

// The status code of an HTTP status line ("HTTP/1.1 503 Service Unavailable"), or -1.
int parse_status_line(std::string_view line);
// The check's verdict for an HTTP status: `expected` exactly, or any 2xx/3xx when 0.
bool status_ok(int status, uint16_t expected);

class Probe {
public:
    virtual ~Probe() = default;
    // The command of a running exec probe (0 otherwise): it is the probe's to reap, so an
    // orphan reaper (pmd run as PID 1) must leave it alone.
    virtual pid_t pid() const { return 0; }
};

// TCP: succeeds once a connection to address is established.
std::unique_ptr<Probe> start_tcp_probe(EventLoop& loop, const sockaddr_storage& address, socklen_t length,
                                       std::chrono::milliseconds timeout, ProbeDone done);
std::unique_ptr<Probe> start_http_probe(EventLoop& loop, const HttpTarget& target, uint16_t expected_status,
                                        std::chrono::milliseconds timeout, ProbeDone done);
// Exec: spawns `request` (the app's user, cwd and env) and succeeds on exit status 0; on
// timeout the command is killed.
std::unique_ptr<Probe> start_exec_probe(EventLoop& loop, const SpawnRequest& request, std::chrono::milliseconds timeout,
                                        ProbeDone done);

}  // namespace pmd
