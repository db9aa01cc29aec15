// pmctl logs / flush / reopen-logs: the client side of the daemon's log properties and
// methods (LogFiles, LogSinks; FlushLogs, ReopenLogs).
#pragma once

#include <string>

#include "bus/bus_choice.h"

namespace pmd {

struct LogsOptions {
    std::string name;  // empty: every app
    size_t lines = 15;
    bool follow = false;
    bool err_only = false;
    bool out_only = false;
    std::string timestamp_format;  // moment.js tokens, as pm2 logs --timestamp; empty: no stamp
};

int run_logs(const BusChoice& bus, const LogsOptions& options);
int run_flush(const BusChoice& bus, const std::string& name);
int run_reopen_logs(const BusChoice& bus);

}  // namespace pmd
