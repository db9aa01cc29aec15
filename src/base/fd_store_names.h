// The names fds are kept under in the FdStore (base/fd_store.h): the writer (logs, god) and
// the reader after a crash (daemon's reclaim) must spell them the same. An app name never
// contains '/', so the fields cannot run into each other.
#pragma once

#include <string>

namespace pmd::fd_store_names {

// One end ("r" or "w") of an instance slot's stdout or stderr pipe ("out" or "err").
inline std::string log_pipe(const std::string& app, unsigned index, const std::string& stream, const std::string& end) {
    return "log/" + app + "/" + std::to_string(index) + "/" + stream + "/" + end;
}

// The app's n-th listen socket, in the order of its spec's `listen`.
inline std::string listen_socket(const std::string& app, size_t n) {
    return "sock/" + app + "/" + std::to_string(n);
}

}  // namespace pmd::fd_store_names
