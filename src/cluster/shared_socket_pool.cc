#include "cluster/shared_socket_pool.h"

#include <sys/stat.h>
#include <unistd.h>

namespace pmd {
namespace {

bool same_file(const std::string& path, dev_t dev, ino_t ino) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev && st.st_ino == ino;
}

}  // namespace

SharedSocketPool::~SharedSocketPool() {
    // Only the file the app's bind created: a path someone re-bound since belongs to them.
    for (auto& [key, s] : sockets_)
        if (!s.unix_path.empty() && s.ino && same_file(s.unix_path, s.dev, s.ino)) unlink(s.unix_path.c_str());
}

const SharedSocketPool::Socket* SharedSocketPool::find(const SocketAddressKey& address) {
    auto it = sockets_.find(address.key);
    if (it == sockets_.end()) return nullptr;
    const Socket& s = it->second;
    if (!s.unix_path.empty() && s.ino && !same_file(s.unix_path, s.dev, s.ino)) {
        sockets_.erase(it);
        return nullptr;
    }
    return &s;
}

void SharedSocketPool::keep(const SocketAddressKey& address, UniqueFd fd) {
    Socket s;
    s.fd = std::move(fd);
    s.text = address.text;
    s.unix_path = address.unix_path;
    struct stat st;
    if (!s.unix_path.empty() && lstat(s.unix_path.c_str(), &st) == 0) {
        s.dev = st.st_dev;
        s.ino = st.st_ino;
    }
    sockets_[address.key] = std::move(s);
}

std::vector<int> SharedSocketPool::fds() const {
    std::vector<int> out;
    for (const auto& [key, s] : sockets_) out.push_back(s.fd.get());
    return out;
}

}  // namespace pmd
