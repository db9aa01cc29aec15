// ecosystem_js_to_json(): PM2 ecosystem files are JavaScript, so only node can read them.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "base/unique_fd.h"
#include "config/ecosystem_import.h"

extern char** environ;

namespace pmd {
namespace {

// import() reads CommonJS and ES modules alike; `.default` is module.exports or the ESM default
// export. Functions and other non-JSON values are dropped by JSON.stringify, as they would be by
// any PM2 config consumer that is not PM2 itself.
constexpr const char* kEvaluate =
    "const url = require('url'), path = require('path');"
    "import(url.pathToFileURL(path.resolve(process.argv[1])).href)"
    ".then(m => process.stdout.write(JSON.stringify(m.default ?? m)))"
    ".catch(e => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });";

struct Pipe {
    UniqueFd read, write;
};

Pipe make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw Error(Error::Kind::Failed, std::string("cannot create a pipe: ") + std::strerror(errno));
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Reads both pipes to their end without letting either fill up and stall node.
void drain(UniqueFd& out_fd, UniqueFd& err_fd, std::string& out, std::string& err) {
    std::array<pollfd, 2> fds{{{out_fd.get(), POLLIN, 0}, {err_fd.get(), POLLIN, 0}}};
    std::array<std::string*, 2> sinks{&out, &err};
    int open = 2;
    while (open > 0) {
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            throw Error(Error::Kind::Failed, std::string("poll: ") + std::strerror(errno));
        }
        for (size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[65536];
            ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                fds[i].fd = -1;
                --open;
            } else {
                sinks[i]->append(buf, static_cast<size_t>(n));
            }
        }
    }
}

}  // namespace

std::string ecosystem_js_to_json(const std::filesystem::path& path, const std::string& node_binary) {
    Pipe out = make_pipe(), err = make_pipe();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out.write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err.write.get(), STDERR_FILENO);
    std::string file = path.string();
    std::array<char*, 5> argv{const_cast<char*>(node_binary.c_str()), const_cast<char*>("-e"),
                              const_cast<char*>(kEvaluate), file.data(), nullptr};
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, node_binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc == ENOENT)
        throw Error(Error::Kind::Failed,
                    "cannot read " + file + ": it is JavaScript and '" + node_binary +
                        "' is not installed; install nodejs, or convert it to JSON on a machine with node: "
                        "node -e 'console.log(JSON.stringify(require(\"./" +
                        path.filename().string() + "\")))' > ecosystem.json");
    if (rc != 0) throw Error(Error::Kind::Failed, "cannot run " + node_binary + ": " + std::strerror(rc));
    out.write.reset();
    err.write.reset();

    std::string json, messages;
    drain(out.read, err.read, json, messages);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (messages.size() > 2000) messages.resize(2000);
        throw Error(Error::Kind::Failed, "node could not evaluate " + file + ":\n" + messages);
    }
    return json;
}

}  // namespace pmd
