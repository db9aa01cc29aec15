#include "logs/log_rotation.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/error.h"

namespace pmd {

std::string rotated_name(const std::string& path, uint32_t n) { return path + "." + std::to_string(n); }

std::string compressed_name(const std::string& path, uint32_t n) { return rotated_name(path, n) + ".gz"; }

void rotate_log_files(const std::string& path, uint32_t max_files) {
    auto fail = [&](const std::string& what, const std::string& file) {
        throw Error(Error::Kind::Failed, "cannot " + what + " " + file + " while rotating " + path + ": " +
                                             std::strerror(errno) + " (check the log directory's permissions and space)");
    };
    if (max_files == 0) {
        if (std::remove(path.c_str()) != 0 && errno != ENOENT) fail("delete", path);
        return;
    }
    // Either form of a number may exist (compressed or not yet, or from before log_compress
    // changed): both shift, both go beyond max_files.
    for (const std::string& oldest : {rotated_name(path, max_files), compressed_name(path, max_files)})
        if (std::remove(oldest.c_str()) != 0 && errno != ENOENT) fail("delete", oldest);
    for (uint32_t n = max_files - 1; n >= 1; --n) {
        std::string from = rotated_name(path, n);
        if (std::rename(from.c_str(), rotated_name(path, n + 1).c_str()) != 0 && errno != ENOENT) fail("rename", from);
        from = compressed_name(path, n);
        if (std::rename(from.c_str(), compressed_name(path, n + 1).c_str()) != 0 && errno != ENOENT)
            fail("rename", from);
    }
    if (std::rename(path.c_str(), rotated_name(path, 1).c_str()) != 0 && errno != ENOENT) fail("rename", path);
}

}  // namespace pmd
