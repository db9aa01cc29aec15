// RotatedLogCompression: gzips one log's rotated files (log_compress) on the event loop, one
// GzipCompressor step (64 KiB of input) per loop iteration, so other work (the app's pipes, the
// bus) runs between steps and a 10 MiB file never stops the loop for long.
//
// Never a lost line: "<log>.N" stays until "<log>.gz.tmp" holds all of it (fsynced) and has
// been renamed "<log>.N.gz"; only then is "<log>.N" deleted. A crash or re-exec before that
// leaves "<log>.N" (and a stale .gz.tmp, overwritten next time), and every rotated file that
// is still plain is found again and compressed: at start, after each rotation and after each
// file. The same covers switching log_compress on over existing files.
//
// States: idle, or compressing file number job_index_ (which a rotation moves one up, or out
// of the kept range, which abandons it: the file is deleted already).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/fs_identity.h"
#include "event/event_loop.h"
#include "logs/gzip_compressor.h"

namespace pmd {

class RotatedLogCompression {
public:
    // path: the log ("app-out.log"); max_files: log_max_files; opener as FileSink's (a user's
    // path is touched with that user's file permissions).
    RotatedLogCompression(EventLoop& loop, std::string path, uint32_t max_files, std::optional<FsIdentity> opener);
    // Abandons a file half done: its .gz.tmp is deleted, the plain file stays.
    ~RotatedLogCompression();
    RotatedLogCompression(const RotatedLogCompression&) = delete;
    RotatedLogCompression& operator=(const RotatedLogCompression&) = delete;

    // Call after each rotate_log_files: every rotated file moved one number up.
    void rotated();
    bool idle() const { return !job_ && !next_; }

    // "<log>.gz.tmp": the one file being compressed, whatever its number.
    static std::string temporary_name(const std::string& path);

private:
    void schedule();
    void step();
    bool start_next();
    void finish();
    void abandon();

    EventLoop& loop_;
    std::string path_;
    uint32_t max_files_;
    std::optional<FsIdentity> opener_;
    struct FileId {
        dev_t dev = 0;
        ino_t ino = 0;
        bool operator==(const FileId&) const = default;
    };
    std::unique_ptr<GzipCompressor> job_;
    uint32_t job_index_ = 0;
    FileId job_file_;
    EventSource next_;   // the next step (or the next look for work), in a later iteration
    std::string last_failure_;  // warned once, not at every rotation
};

}  // namespace pmd
