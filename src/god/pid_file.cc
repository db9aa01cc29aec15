#include "god/pid_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "base/error.h"
#include "base/instance_path.h"
#include "base/unique_fd.h"

namespace pmd {

std::string pid_file_for(const AppSpec& spec, unsigned index) {
    if (spec.pid_file.empty() || spec.instances == 1) return spec.pid_file;
    return path_with_instance(spec.pid_file, index);
}

void write_pid_file(const std::string& path, pid_t pid, const std::optional<FsIdentity>& opener) {
    if (path.empty()) return;
    std::string text = std::to_string(pid) + "\n";
    int error = 0;
    try {
        ScopedFsIdentity as_owner(opener);
        UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
        if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) error = errno;
    } catch (const Error& e) {
        spdlog::warn("pid file {}: {}", path, e.what());
        return;
    }
    if (error) spdlog::warn("pid file {}: {}", path, std::strerror(error));
}

void remove_pid_file(const std::string& path, const std::optional<FsIdentity>& opener) {
    if (path.empty()) return;
    try {
        ScopedFsIdentity as_owner(opener);
        if (::unlink(path.c_str()) != 0 && errno != ENOENT)
            spdlog::warn("pid file {}: cannot remove it: {}", path, std::strerror(errno));
    } catch (const Error& e) {
        spdlog::warn("pid file {}: {}", path, e.what());
    }
}

}  // namespace pmd
