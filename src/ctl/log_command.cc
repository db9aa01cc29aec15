#include "ctl/log_command.h"

#include <unistd.h>

#include <iostream>

#include "ctl/bus_connect.h"
#include "ctl/god_client.h"
#include "ctl/journal_logs.h"
#include "ctl/log_files.h"

namespace pmd {
namespace {

using LogFileEntry = sdbus::Struct<std::string, int32_t, std::string>;

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

int run_logs(const BusChoice& bus, const LogsOptions& o) {
    GodClient client(bus);
    std::vector<std::string> names;
    if (!o.name.empty()) {
        names.push_back(o.name);
    } else {
        for (const auto& app : client.list_apps()) names.push_back(app.at("name").get<std::string>());
    }
    std::string stream = o.err_only ? "err" : o.out_only ? "out" : "";
    std::vector<FollowedLog> files;
    std::vector<std::string> journal_apps;
    for (const auto& name : names) {
        VariantDict props = client.describe(name);
        auto sinks = props.count("LogSinks") ? props.at("LogSinks").get<std::vector<std::string>>() : std::vector<std::string>{};
        if (!has(sinks, "file")) {
            if (has(sinks, "journal")) journal_apps.push_back(name);
            continue;
        }
        for (const auto& f : props.at("LogFiles").get<std::vector<LogFileEntry>>()) {
            const std::string& s = f.get<0>();
            if (!stream.empty() && s != stream && s != "both") continue;
            files.push_back({name, f.get<1>(), s, f.get<2>()});
        }
    }
    bool color = ::isatty(STDOUT_FILENO);
    if (!journal_apps.empty() && files.empty()) {
        show_journal_logs(journal_apps, o.lines, o.follow, stream, color);
        return 0;
    }
    for (const auto& name : journal_apps)
        std::cerr << "pmctl: " << name << " logs to the journal only; see it with pmctl logs " << name << "\n";
    show_log_files(files, o.lines, o.follow, color, DateFormat(o.timestamp_format));
    return 0;
}

int run_flush(const BusChoice& bus, const std::string& name) {
    GodClient client(bus);
    client.act("FlushLogs", name);
    std::cout << "Flushed the log files of " << (name == "all" ? "every app" : name) << "\n";
    return 0;
}

int run_reopen_logs(const BusChoice& bus) {
    auto connection = connect_within(bus, bus.call_timeout.value_or(kDefaultCallTimeout));
    auto proxy = sdbus::createProxy(*connection, "org.pmd.God1", "/org/pmd/God1");
    try {
        proxy->callMethod("ReopenLogs").onInterface("org.pmd.God1.Manager");
    } catch (const sdbus::Error& e) {
        throw CtlFailure(e.getName() == "org.pmd.God1.Error.AccessDenied" ? 1 : 3,
                         "cannot reopen the log files: " + e.getMessage());
    }
    std::cout << "Reopened every app log file\n";
    return 0;
}

}  // namespace pmd
