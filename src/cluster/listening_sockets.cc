#include "cluster/listening_sockets.h"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "cluster/socket_address.h"

namespace pmd {

std::vector<UniqueFd> listening_sockets_of(int pidfd, int pid) {
    std::vector<UniqueFd> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
        std::error_code link_ec;
        auto target = std::filesystem::read_symlink(entry.path(), link_ec).string();
        if (link_ec || target.rfind("socket:", 0) != 0) continue;
        int number = std::atoi(entry.path().filename().c_str());
        UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, number, 0)));
        if (!fd) continue;
        int listening = 0, type = 0;
        socklen_t len = sizeof listening;
        if (getsockopt(fd.get(), SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) continue;
        len = sizeof type;
        if (getsockopt(fd.get(), SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) continue;
        if (!bound_address_key(fd.get())) continue;
        out.push_back(std::move(fd));
    }
    return out;
}

}  // namespace pmd
