#include "config/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/errno_text.h"
#include "base/error.h"
#include "base/unique_fd.h"

namespace pmd {
namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path, int error) {
    throw Error(Error::Kind::Failed, "cannot " + what + " " + path.string() + ": " + errno_text(error));
}

// Removes the temporary file unless the rename succeeded.
class TempFileGuard {
public:
    explicit TempFileGuard(std::string path) : path_(std::move(path)) {}
    ~TempFileGuard() {
        if (!path_.empty()) ::unlink(path_.c_str());
    }
    void keep() { path_.clear(); }
    TempFileGuard(const TempFileGuard&) = delete;
    TempFileGuard& operator=(const TempFileGuard&) = delete;

private:
    std::string path_;
};

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view content, mode_t mode, bool durable) {
    auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    // A dot-name so a directory scan (/etc/pmd.d/*.toml) never picks up a half-written file.
    std::string temp = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
    UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
    if (!fd) fail("create a temporary file for", path, errno);
    TempFileGuard guard(temp);

    if (::fchmod(fd.get(), mode) != 0) fail("set the mode of", path, errno);
    while (!content.empty()) {
        ssize_t n = ::write(fd.get(), content.data(), content.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("write", path, errno);
        content.remove_prefix(static_cast<size_t>(n));
    }
    if (durable && ::fsync(fd.get()) != 0) fail("fsync", path, errno);
    if (::close(fd.release()) != 0) fail("close", path, errno);
    if (::rename(temp.c_str(), path.c_str()) != 0) fail("rename a temporary file onto", path, errno);
    guard.keep();

    // The rename lives in the directory: without this a power cut may forget it.
    UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd) fail("open the directory of", path, errno);
    if (durable && ::fsync(dir_fd.get()) != 0) fail("fsync the directory of", path, errno);
}

}  // namespace pmd
