// Replacing a file so that a crash or power cut leaves either the old content or the new one,
// never a mix or an empty file: the dump must survive the reboot it is meant for.
#pragma once

#include <filesystem>
#include <string_view>

#include <sys/types.h>

namespace pmd {

// Writes `content` to a temporary file in the same directory, fsyncs it, renames it over `path`
// and fsyncs the directory. Throws Error(Failed) naming the path and the reason; on failure the
// old file is untouched and the temporary file is removed.
// durable = false skips the fsyncs: still never a torn file if pmd dies, but a power cut may
// lose the last write (right for files in /run, which a power cut clears anyway).
void write_file_atomically(const std::filesystem::path& path, std::string_view content, mode_t mode = 0644,
                           bool durable = true);

}  // namespace pmd
