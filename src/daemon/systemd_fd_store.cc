#include "daemon/systemd_fd_store.h"

#include <fcntl.h>
#include <systemd/sd-daemon.h>

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>

namespace pmd {

SystemdFdStore::SystemdFdStore() { active_ = std::getenv("INVOCATION_ID") && std::getenv("NOTIFY_SOCKET"); }

void SystemdFdStore::keep(const std::string& name, int fd) {
    if (!active_ || fd < 0) return;
    std::string message = "FDSTORE=1\nFDNAME=" + name;
    int r = sd_pid_notify_with_fds(0, 0, message.c_str(), &fd, 1);
    if (r <= 0) spdlog::debug("fd store: cannot keep {}: {}", name, std::strerror(r < 0 ? -r : ENOTCONN));
}

void SystemdFdStore::forget(const std::string& name) {
    if (!active_) return;
    std::string message = "FDSTOREREMOVE=1\nFDNAME=" + name;
    sd_notify(0, message.c_str());
}

std::map<std::string, int> SystemdFdStore::take_stored_fds() {
    std::map<std::string, int> out;
    char** names = nullptr;
    int n = sd_listen_fds_with_names(1, &names);
    for (int i = 0; i < n; ++i) {
        int fd = SD_LISTEN_FDS_START + i;
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        std::string name = names && names[i] ? names[i] : "";
        if (name.empty() || out.count(name)) ::close(fd);  // unnamed or a duplicate: not ours to use
        else out[name] = fd;
    }
    if (names) {
        for (int i = 0; i < n; ++i) free(names[i]);
        free(names);
    }
    return out;
}

}  // namespace pmd
