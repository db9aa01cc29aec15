// CgroupDir: one directory of the cgroup2 tree that pmd created and owns (an app or an
// instance), held open so clone3(CLONE_INTO_CGROUP) can use it. Destroying it closes the fd;
// remove() deletes the directory once it is empty.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.h"

namespace pmd {

class CgroupDir {
public:
    CgroupDir() = default;
    // Creates the directory if needed and opens it. Throws Error(Failed) naming the path.
    static CgroupDir create(const std::string& mount, const std::string& relative);
    // Opens an existing directory; nullopt if it does not exist.
    static std::optional<CgroupDir> open(const std::string& mount, const std::string& relative);

    explicit operator bool() const { return static_cast<bool>(fd_); }
    int fd() const { return fd_.get(); }
    // Path relative to the cgroup2 mount, as /proc/PID/cgroup shows it ("/pmd.slice/.../0").
    const std::string& relative() const { return relative_; }
    // Absolute path in the file system.
    const std::string& path() const { return path_; }

    // cgroup.events "populated": true while any process is in this cgroup or below.
    bool populated() const;
    std::vector<pid_t> procs() const;
    // Sends the signal to every process in the cgroup (not below); returns how many got it.
    size_t signal_all(int signal) const;
    // SIGKILL to the whole subtree: cgroup.kill where the kernel has it (5.14+), else a loop
    // over cgroup.procs until it is empty of live processes.
    void kill_all();
    // True once cgroup.kill was written here. Such a cgroup must not receive new processes:
    // since Linux 6.14 (kill_seq), clone3(CLONE_INTO_CGROUP) compares the target's kill
    // counter with the parent cgroup's and SIGKILLs every child born into a cgroup that was
    // ever killed. Callers move on to a fresh cgroup instead.
    bool killed() const { return killed_; }
    // rmdir; false (and nothing thrown) if it is still busy or already gone.
    bool remove() const;

    std::optional<std::string> read_file(const char* name) const;
    bool write_file(const char* name, const std::string& value) const;

private:
    std::string path_;
    std::string relative_;
    UniqueFd fd_;
    bool killed_ = false;
};

}  // namespace pmd
