// PipeOutputRouter: instances' stdout and stderr pass through pmd. Each instance slot
// (app, index) gets two LogPipes, created at its first spawn and kept across its restarts
// (and shared by old and new instance during a rolling reload); lines go to the app's sinks:
// files (<log_dir>/<app>-out.log, -err.log; out_file/error_file; -<n> per instance unless
// merge_logs or a single instance; log_date_format prefixes), and/or the journal.
//
// An app's pipes live until the app is deleted; then pmd closes its copies of the write ends
// and keeps reading until EOF, which comes when the last writer, grandchildren included, is
// gone. Only then are the app's pipes and sinks freed.
#pragma once

#include <list>
#include <map>
#include <memory>
#include <string>

#include "base/fd_store.h"
#include "event/event_loop.h"
#include "logs/date_format.h"
#include "logs/file_sink.h"
#include "logs/journal_sink.h"
#include "logs/log_pipe.h"
#include "logs/output_router.h"

namespace pmd {

struct LogSettings {
    std::string log_dir;
    RotationLimits rotation;
    bool files = true;
    bool journal = false;
    std::string journal_socket = JournalSink::kDefaultSocket;
};

class PipeOutputRouter final : public OutputRouter {
public:
    PipeOutputRouter(EventLoop& loop, LogSettings settings);
    ~PipeOutputRouter() override;

    void app_added(const AppSpec& spec, const std::optional<FsIdentity>& owner) override;
    InstanceOutput instance_output(const AppSpec& spec, unsigned index) override;
    void app_removed(const std::string& name) override;
    void reopen() override;
    void flush(const std::string& name_or_all) override;
    AppLogInfo info(const std::string& name) const override;
    std::vector<TailLine> recent_lines(const std::string& name, std::optional<LogStream> stream, size_t max) const override;
    void set_line_listener(LineListener listener) override { listener_ = std::move(listener); }
    std::vector<LogSlotHandover> release_slots(const std::string& name) override;
    void adopt_slots(const std::string& name, std::vector<LogSlotHandover> slots) override;

    // Both ends of every pipe are kept there too, for a pmd restarted after a crash.
    void set_fd_store(FdStore* store) { fd_store_ = store; }

    // Sum over apps still known, and those deleted but still draining.
    uint64_t total_dropped_lines() const;

    // The file an app's stream goes to for an instance ("" = none, e.g. /dev/null).
    static std::string file_for(const AppSpec& spec, const std::string& log_dir, LogStream stream, unsigned index);

private:
    struct Slot;
    struct AppLogs;

    AppLogs& logs_of(const std::string& name);
    FileSink* file_sink(AppLogs& logs, const std::string& path);
    std::unique_ptr<Slot> make_slot(AppLogs& logs, unsigned index, std::optional<LogSlotHandover> handed = std::nullopt);
    void on_slot_eof(AppLogs* logs);
    void seed_tail(AppLogs& logs);

    void store_slot(const std::string& app, const Slot& slot);
    void forget_slots(const AppLogs& logs);

    EventLoop& loop_;
    LogSettings settings_;
    FdStore* fd_store_ = nullptr;
    LineListener listener_;
    std::map<std::string, std::unique_ptr<AppLogs>> apps_;
    std::list<std::unique_ptr<AppLogs>> draining_;
    EventSource reap_;
    uint64_t dropped_by_deleted_ = 0;
    // One clock read per read burst, not per line; the lines of a burst arrived together.
    std::chrono::system_clock::time_point batch_time_;
    bool batch_time_valid_ = false;
};

}  // namespace pmd
