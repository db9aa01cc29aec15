#include "logs/pipe_output_router.h"

#include <spdlog/spdlog.h>

#include <set>

#include "base/error.h"
#include "base/fd_store_names.h"
#include "base/instance_path.h"
#include "logs/log_file_end.h"

namespace pmd {

struct PipeOutputRouter::Slot {
    unsigned index = 0;
    FileSink* out_file = nullptr;  // owned by AppLogs::files; null = no file for this stream
    FileSink* err_file = nullptr;
    std::unique_ptr<LogPipe> out;
    std::unique_ptr<LogPipe> err;
};

struct PipeOutputRouter::AppLogs {
    AppSpec spec;
    std::optional<FsIdentity> owner;  // opens the paths the app chose; the log dir's are pmd's
    DateFormat date_format;
    std::map<std::string, std::unique_ptr<FileSink>> files;  // by path: out and err may share one
    std::unique_ptr<JournalSink> journal;
    std::map<unsigned, std::unique_ptr<Slot>> slots;
    uint64_t lines = 0;
    size_t open_pipes = 0;
    LogTail tail;

    uint64_t dropped() const {
        uint64_t n = journal ? journal->dropped_lines() : 0;
        for (const auto& [path, sink] : files) n += sink->dropped_lines();
        return n;
    }
};

namespace {

bool discards(const std::string& path) { return path == "/dev/null"; }

bool per_instance(const AppSpec& spec) { return !spec.merge_logs && spec.instances != 1; }

}  // namespace

PipeOutputRouter::PipeOutputRouter(EventLoop& loop, LogSettings settings)
    : loop_(loop), settings_(std::move(settings)) {}

PipeOutputRouter::~PipeOutputRouter() = default;

std::string PipeOutputRouter::file_for(const AppSpec& spec, const std::string& log_dir, LogStream stream,
                                       unsigned index) {
    const std::string& declared = stream == LogStream::Out ? spec.out_file : spec.error_file;
    std::string path = declared.empty() ? log_dir + "/" + spec.name + (stream == LogStream::Out ? "-out.log" : "-err.log")
                                        : declared;
    if (discards(path)) return {};
    return per_instance(spec) ? path_with_instance(path, index) : path;
}

FileSink* PipeOutputRouter::file_sink(AppLogs& logs, const std::string& path) {
    if (path.empty() || !settings_.files) return nullptr;
    auto it = logs.files.find(path);
    if (it != logs.files.end()) return it->second.get();
    bool in_log_dir = path.starts_with(settings_.log_dir + "/");
    // An app's own log_max_size/log_max_files win over pmd.toml's.
    RotationLimits rotation = settings_.rotation;
    if (logs.spec.log_max_size) rotation.max_size = *logs.spec.log_max_size;
    if (logs.spec.log_max_files) rotation.max_files = *logs.spec.log_max_files;
    auto sink = std::make_unique<FileSink>(loop_, path, rotation, logs.date_format,
                                           in_log_dir ? std::nullopt : logs.owner);
    return logs.files.emplace(path, std::move(sink)).first->second.get();
}

void PipeOutputRouter::app_added(const AppSpec& spec, const std::optional<FsIdentity>& owner) {
    auto logs = std::make_unique<AppLogs>();
    logs->spec = spec;
    logs->owner = owner;
    logs->date_format = DateFormat(spec.log_date_format);
    if (settings_.journal) logs->journal = std::make_unique<JournalSink>(settings_.journal_socket);
    // Opening the first instance's files now turns an unwritable path into an answer to the
    // start request rather than a failure at spawn.
    file_sink(*logs, file_for(spec, settings_.log_dir, LogStream::Out, 0));
    file_sink(*logs, file_for(spec, settings_.log_dir, LogStream::Err, 0));
    seed_tail(*logs);
    apps_[spec.name] = std::move(logs);
}

// The tail starts with the end of the files, so App.Logs after a restart or a re-exec of pmd
// still has the lines kept before. How out and err interleaved is not in the files: stdout's
// lines come first (every instance's, by index), then stderr's, numbered in that order before
// any new line, each with its file's mtime as time_usec. A file stdout and stderr share is read
// once, as stdout. Only what pmd writes itself: with log_sink = "journal" the files are stale.
void PipeOutputRouter::seed_tail(AppLogs& logs) {
    if (!settings_.files) return;
    unsigned files_per_stream = per_instance(logs.spec) ? logs.spec.instances : 1;
    std::set<std::string> read;
    for (LogStream stream : {LogStream::Out, LogStream::Err}) {
        for (unsigned index = 0; index < files_per_stream; ++index) {
            std::string path = file_for(logs.spec, settings_.log_dir, stream, index);
            if (path.empty() || !read.insert(path).second) continue;
            bool in_log_dir = path.starts_with(settings_.log_dir + "/");
            auto end = read_log_file_end(path, in_log_dir ? std::nullopt : logs.owner, LogTail::kLines, LogTail::kBytes);
            if (!end) continue;
            for (const std::string& text : end->lines)
                logs.tail.add(LogLine{logs.spec.name, index, stream, text, end->mtime});
        }
    }
}

PipeOutputRouter::AppLogs& PipeOutputRouter::logs_of(const std::string& name) {
    auto it = apps_.find(name);
    if (it == apps_.end()) throw Error(Error::Kind::NoSuchApp, "no app named '" + name + "' (see pmctl ls)");
    return *it->second;
}

std::unique_ptr<PipeOutputRouter::Slot> PipeOutputRouter::make_slot(AppLogs& logs, unsigned index,
                                                                    std::optional<LogSlotHandover> handed) {
    auto slot = std::make_unique<Slot>();
    slot->index = index;
    slot->out_file = file_sink(logs, file_for(logs.spec, settings_.log_dir, LogStream::Out, index));
    slot->err_file = file_sink(logs, file_for(logs.spec, settings_.log_dir, LogStream::Err, index));
    AppLogs* app = &logs;
    auto make_pipe = [&](LogStream stream, FileSink* file) {
        auto on_line = [this, app, index, stream, file](std::string_view text) {
            if (!batch_time_valid_) {
                batch_time_ = std::chrono::system_clock::now();
                batch_time_valid_ = true;
            }
            LogLine line{app->spec.name, index, stream, text, batch_time_};
            ++app->lines;
            if (file) file->write(line);
            if (app->journal) app->journal->write(line);
            const TailLine& kept = app->tail.add(line);
            if (listener_) listener_(app->spec.name, kept);
        };
        auto on_batch = [this, file] {
            if (file) file->flush();
            batch_time_valid_ = false;
        };
        auto on_eof = [this, app] { on_slot_eof(app); };
        if (handed) {
            LogStreamHandover& h = stream == LogStream::Out ? handed->out : handed->err;
            return std::make_unique<LogPipe>(loop_, std::move(h), on_line, on_batch, on_eof);
        }
        return std::make_unique<LogPipe>(loop_, on_line, on_batch, on_eof);
    };
    slot->out = make_pipe(LogStream::Out, slot->out_file);
    slot->err = make_pipe(LogStream::Err, slot->err_file);
    logs.open_pipes += 2;
    store_slot(logs.spec.name, *slot);
    return slot;
}

void PipeOutputRouter::store_slot(const std::string& app, const Slot& slot) {
    if (!fd_store_) return;
    fd_store_->keep(fd_store_names::log_pipe(app, slot.index, "out", "r"), slot.out->read_fd());
    fd_store_->keep(fd_store_names::log_pipe(app, slot.index, "out", "w"), slot.out->write_fd());
    fd_store_->keep(fd_store_names::log_pipe(app, slot.index, "err", "r"), slot.err->read_fd());
    fd_store_->keep(fd_store_names::log_pipe(app, slot.index, "err", "w"), slot.err->write_fd());
}

void PipeOutputRouter::forget_slots(const AppLogs& logs) {
    if (!fd_store_) return;
    for (const auto& [index, slot] : logs.slots)
        for (const char* stream : {"out", "err"})
            for (const char* end : {"r", "w"}) fd_store_->forget(fd_store_names::log_pipe(logs.spec.name, index, stream, end));
}

InstanceOutput PipeOutputRouter::instance_output(const AppSpec& spec, unsigned index) {
    AppLogs& logs = logs_of(spec.name);
    // Emplaced only once made: out of fds, make_slot throws, and a null slot would stay behind.
    auto it = logs.slots.find(index);
    if (it == logs.slots.end()) it = logs.slots.emplace(index, make_slot(logs, index)).first;
    const Slot& slot = *it->second;
    return {slot.out->child_end(), slot.err->child_end()};
}

std::vector<LogSlotHandover> PipeOutputRouter::release_slots(const std::string& name) {
    std::vector<LogSlotHandover> out;
    auto it = apps_.find(name);
    if (it == apps_.end()) return out;
    for (auto& [index, slot] : it->second->slots) {
        LogSlotHandover h{index, slot->out->release(), slot->err->release()};
        if (h.out.read_fd >= 0 && h.err.read_fd >= 0) out.push_back(std::move(h));
    }
    return out;
}

void PipeOutputRouter::adopt_slots(const std::string& name, std::vector<LogSlotHandover> slots) {
    AppLogs& logs = logs_of(name);
    for (auto& handed : slots) {
        unsigned index = handed.index;
        logs.slots[index] = make_slot(logs, index, std::move(handed));
    }
}

void PipeOutputRouter::app_removed(const std::string& name) {
    auto it = apps_.find(name);
    if (it == apps_.end()) return;
    std::unique_ptr<AppLogs> logs = std::move(it->second);
    apps_.erase(it);
    forget_slots(*logs);
    for (auto& [index, slot] : logs->slots) {
        slot->out->close_writer();
        slot->err->close_writer();
    }
    if (logs->open_pipes == 0) {
        dropped_by_deleted_ += logs->dropped();
        return;
    }
    draining_.push_back(std::move(logs));
}

void PipeOutputRouter::on_slot_eof(AppLogs* logs) {
    if (--logs->open_pipes > 0) return;
    // Called from inside a LogPipe of this app: free it in a later iteration of the loop.
    reap_ = loop_.add_defer([this] {
        for (auto it = draining_.begin(); it != draining_.end();) {
            if ((*it)->open_pipes == 0) {
                dropped_by_deleted_ += (*it)->dropped();
                it = draining_.erase(it);
            } else {
                ++it;
            }
        }
    });
}

void PipeOutputRouter::reopen() {
    for (auto& [name, logs] : apps_)
        for (auto& [path, sink] : logs->files) sink->reopen();
    for (auto& logs : draining_)
        for (auto& [path, sink] : logs->files) sink->reopen();
}

void PipeOutputRouter::flush(const std::string& name_or_all) {
    if (name_or_all == "all") {
        for (auto& [name, logs] : apps_)
            for (auto& [path, sink] : logs->files) sink->truncate();
        return;
    }
    for (auto& [path, sink] : logs_of(name_or_all).files) sink->truncate();
}

std::vector<TailLine> PipeOutputRouter::recent_lines(const std::string& name, std::optional<LogStream> stream,
                                                    size_t max) const {
    auto it = apps_.find(name);
    if (it == apps_.end()) throw Error(Error::Kind::NoSuchApp, "no app named '" + name + "' (see pmctl ls)");
    return it->second->tail.last(stream, max);
}

AppLogInfo PipeOutputRouter::info(const std::string& name) const {
    auto it = apps_.find(name);
    if (it == apps_.end()) return {};
    const AppLogs& logs = *it->second;
    AppLogInfo out;
    if (settings_.files) out.sinks.push_back("file");
    if (settings_.journal) out.sinks.push_back("journal");
    out.dropped_lines = logs.dropped();
    out.lines = logs.lines;
    if (!settings_.files) return out;
    auto add = [&](unsigned index, int32_t shown_index) {
        std::string o = file_for(logs.spec, settings_.log_dir, LogStream::Out, index);
        std::string e = file_for(logs.spec, settings_.log_dir, LogStream::Err, index);
        if (!o.empty() && o == e) {
            out.files.push_back({"both", shown_index, o});
            return;
        }
        if (!o.empty()) out.files.push_back({"out", shown_index, o});
        if (!e.empty()) out.files.push_back({"err", shown_index, e});
    };
    if (!per_instance(logs.spec)) {
        add(0, logs.spec.instances == 1 && !logs.spec.merge_logs ? 0 : -1);
    } else {
        // Every slot that ever ran, and at least the declared ones.
        std::map<unsigned, bool> indexes;
        for (unsigned i = 0; i < logs.spec.instances; ++i) indexes[i] = true;
        for (const auto& [index, slot] : logs.slots) indexes[index] = true;
        for (const auto& [index, yes] : indexes) add(index, static_cast<int32_t>(index));
    }
    return out;
}

uint64_t PipeOutputRouter::total_dropped_lines() const {
    uint64_t n = dropped_by_deleted_;
    for (const auto& [name, logs] : apps_) n += logs->dropped();
    for (const auto& logs : draining_) n += logs->dropped();
    return n;
}

}  // namespace pmd
