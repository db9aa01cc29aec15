#include "satan/process_environ.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "base/errno_text.h"
#include "base/error.h"
#include "base/unique_fd.h"

namespace pmd {

std::optional<std::vector<std::string>> read_process_environ(const ProcessRef& process) {
    if (!process || !process.send_signal(0)) return std::nullopt;
    const std::string path = "/proc/" + std::to_string(process.pid()) + "/environ";
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT || errno == ESRCH) return std::nullopt;
        throw Error(Error::Kind::Failed, "cannot read " + path + ": " + errno_text(errno));
    }
    std::string block;
    char buffer[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == ESRCH) return std::nullopt;
            throw Error(Error::Kind::Failed, "cannot read " + path + ": " + errno_text(errno));
        }
        block.append(buffer, static_cast<size_t>(n));
    }
    // Read through the pid: if the process died meanwhile, the pid may name another one now.
    if (!process.send_signal(0)) return std::nullopt;
    std::vector<std::string> entries;
    size_t start = 0;
    while (start < block.size()) {
        size_t end = block.find('\0', start);
        if (end == std::string::npos) end = block.size();
        if (end > start) entries.push_back(block.substr(start, end - start));
        start = end + 1;
    }
    return entries;
}

}  // namespace pmd
