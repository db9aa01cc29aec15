// OutputRouter: where the stdout and stderr of instances go. The Manager asks for a pair of
// fds right before each spawn, gives them to the child, and closes its copies after the spawn.
// Implementations decide what is behind them (files opened in append mode, or pipes read by
// pmd in the event loop and written to sinks).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/fs_identity.h"
#include "base/unique_fd.h"
#include "spec/app_spec.h"
#include "logs/log_handover.h"
#include "logs/log_tail.h"

namespace pmd {

// What a client needs to read an app's logs (pmctl logs) and how well they are flowing.
struct LogFileInfo {
    std::string stream;  // "out", "err", or "both" when stdout and stderr share the file
    int32_t instance;    // -1: the file holds every instance's lines (merge_logs)
    std::string path;
};
struct AppLogInfo {
    std::vector<LogFileInfo> files;
    std::vector<std::string> sinks;  // "file", "journal"
    uint64_t dropped_lines = 0;      // lines pmd read but could not deliver (full disk, stuck sink)
    uint64_t lines = 0;              // lines read from the app's pipes
};

struct InstanceOutput {
    UniqueFd stdout_fd;  // -1: /dev/null
    UniqueFd stderr_fd;
};

class OutputRouter {
public:
    virtual ~OutputRouter() = default;
    // When an app is created: open what it needs; throws Error naming the file and the fix.
    // owner: whose file permissions apply to the log paths the app chose (nullopt: pmd's own,
    // for apps that root or pmd's own user started).
    virtual void app_added(const AppSpec& spec, const std::optional<FsIdentity>& owner) = 0;
    virtual InstanceOutput instance_output(const AppSpec& spec, unsigned index) = 0;
    virtual void app_removed(const std::string& name) = 0;

    // Reopen every log file (after an external logrotate renamed them).
    virtual void reopen() {}
    // Truncate the files of an app, or of every app for "all"; throws Error(NoSuchApp).
    virtual void flush(const std::string& name_or_all) { (void)name_or_all; }
    virtual AppLogInfo info(const std::string& name) const {
        (void)name;
        return {};
    }
    // The last lines an app wrote (logs/log_tail.h), oldest first; stream nullopt = both.
    // Throws Error(NoSuchApp). Routers that do not read the output have none.
    virtual std::vector<TailLine> recent_lines(const std::string& name, std::optional<LogStream> stream, size_t max) const {
        (void)name, (void)stream, (void)max;
        return {};
    }
    // Told of every line as it is kept: the bus forwards them to the clients that watch.
    using LineListener = std::function<void(const std::string& app, const TailLine& line)>;
    virtual void set_line_listener(LineListener listener) { (void)listener; }
    // Re-exec (god/handover.h): the app's pipes, flushed, their fds released and left open.
    virtual std::vector<LogSlotHandover> release_slots(const std::string& name) {
        (void)name;
        return {};
    }
    // After app_added in the next pmd: the pipes release_slots() gave up. Fds not taken are closed.
    virtual void adopt_slots(const std::string& name, std::vector<LogSlotHandover> slots);
};

}  // namespace pmd
