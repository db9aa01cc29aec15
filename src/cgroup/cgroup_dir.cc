#include "cgroup/cgroup_dir.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "base/errno_text.h"
#include "base/error.h"

namespace pmd {

CgroupDir CgroupDir::create(const std::string& mount, const std::string& relative) {
    CgroupDir dir;
    dir.relative_ = relative;
    dir.path_ = mount + relative;
    bool made = mkdir(dir.path_.c_str(), 0755) == 0;
    if (!made && errno != EEXIST)
        throw Error(Error::Kind::Failed, "cannot create cgroup " + dir.path_ + ": " + errno_text(errno));
    dir.fd_.reset(::open(dir.path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir.fd_) {
        int error = errno;
        if (made) ::rmdir(dir.path_.c_str());  // with no fd nobody would ever remove it
        throw Error(Error::Kind::Failed, "cannot open cgroup " + dir.path_ + ": " + errno_text(error));
    }
    return dir;
}

std::optional<CgroupDir> CgroupDir::open(const std::string& mount, const std::string& relative) {
    CgroupDir dir;
    dir.relative_ = relative;
    dir.path_ = mount + relative;
    dir.fd_.reset(::open(dir.path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir.fd_) return std::nullopt;
    return dir;
}

std::optional<std::string> CgroupDir::read_file(const char* name) const {
    // Relative to the held directory fd: no walk down the whole cgroup path on every read
    // (`pmctl ls` reads a few files per instance).
    if (!fd_) return std::nullopt;
    UniqueFd fd(::openat(fd_.get(), name, O_RDONLY | O_CLOEXEC));
    if (!fd) return std::nullopt;
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    if (n < 0) return std::nullopt;
    return out;
}

bool CgroupDir::write_file(const char* name, const std::string& value) const {
    if (!fd_) return false;
    UniqueFd fd(::openat(fd_.get(), name, O_WRONLY | O_CLOEXEC));
    if (!fd) return false;
    return ::write(fd.get(), value.data(), value.size()) == static_cast<ssize_t>(value.size());
}

bool CgroupDir::populated() const {
    auto events = read_file("cgroup.events");
    if (!events) return false;  // gone: nothing can be in it
    auto pos = events->find("populated ");
    return pos != std::string::npos && (*events)[pos + 10] == '1';
}

std::vector<pid_t> CgroupDir::procs() const {
    std::vector<pid_t> pids;
    auto text = read_file("cgroup.procs");
    if (!text) return pids;
    std::istringstream in(*text);
    pid_t pid;
    while (in >> pid) pids.push_back(pid);
    return pids;
}

size_t CgroupDir::signal_all(int signal) const {
    size_t count = 0;
    for (pid_t pid : procs())
        if (::kill(pid, signal) == 0) ++count;
    return count;
}

void CgroupDir::kill_all() {
    if (write_file("cgroup.kill", "1")) {
        killed_ = true;
        return;
    }
    // Kernels before 5.14: freeze-free loop; processes forking while we kill are caught by
    // the next pass. Bounded so a pathological case cannot hang the daemon's loop.
    for (int pass = 0; pass < 64; ++pass)
        if (signal_all(SIGKILL) == 0) return;
}

bool CgroupDir::remove() const {
    if (path_.empty()) return false;
    return ::rmdir(path_.c_str()) == 0;
}

}  // namespace pmd
