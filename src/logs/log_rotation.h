// Size rotation of one log file, pm2-logrotate style but built in: "app-out.log" becomes
// "app-out.log.1", ".1" becomes ".2" ..., and the file beyond log_max_files is deleted. pmd is
// the only writer of the files it rotates (lines pass through it), so it rotates between two
// lines: no line is lost, cut or written twice. With log_compress, rotated files are gzipped
// after the rename ("app-out.log.1.gz", logs/rotated_log_compression.h); a number may then be
// either form, and both shift together.
#pragma once

#include <cstdint>
#include <string>

namespace pmd {

struct RotationLimits {
    uint64_t max_size = 0;   // 0 = never rotate
    uint32_t max_files = 0;  // rotated files kept; 0 = the full file is deleted
    bool compress = false;   // gzip rotated files
};

// Renames path -> path.1 after shifting the older ones (path.N and path.N.gz); throws Error naming the file on a
// failed rename (the caller keeps writing to the old file rather than losing lines).
void rotate_log_files(const std::string& path, uint32_t max_files);

// "path.N" for N >= 1.
std::string rotated_name(const std::string& path, uint32_t n);
// "path.N.gz": rotated file N once compressed.
std::string compressed_name(const std::string& path, uint32_t n);

}  // namespace pmd
