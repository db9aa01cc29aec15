// The end of a log file pmd wrote, read back when an app's sinks are made (start, resurrect,
// adoption after a re-exec or a crash) to seed its LogTail: without it a restart of pmd left
// clients of App.Logs (an unprivileged owner's Cockpit page) with the lines from then on only.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "base/fs_identity.h"

namespace pmd {

struct LogFileEnd {
    std::vector<std::string> lines;                // oldest first, without their newlines
    std::chrono::system_clock::time_point mtime;  // the file's: no line in it is newer
};

// The last whole lines of the regular file at `path` within its last `max_bytes` bytes, at most
// `max_lines` of them: a first line the byte window cuts is dropped; an unterminated last line
// is kept (it is what the file holds). Opened read-only with `as`'s file permissions (the
// paths a user chose; O_NOFOLLOW then, as for writing), so pmd never reads a file for a client
// that the app's owner could not read. nullopt when there is no such regular file to read.
std::optional<LogFileEnd> read_log_file_end(const std::string& path, const std::optional<FsIdentity>& as,
                                            size_t max_lines, size_t max_bytes);

}  // namespace pmd
