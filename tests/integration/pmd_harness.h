// PmdHarness: a real private dbus-daemon, a real pmd on it, and a client connection, for
// integration tests. Nothing is mocked. Waiting is done on events (bus signals, pidfds, the
// notify socket) with a deadline; a test never sleeps and hopes.
#pragma once

#include <sdbus-c++/sdbus-c++.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace pmd::test {

using namespace std::chrono_literals;
using VariantDict = std::map<std::string, sdbus::Variant>;

struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs a program to completion (with a deadline) and captures its output.
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds deadline = 30s);

// A child process we started, ended by pid on destruction if still running.
class ChildProcess {
public:
    ChildProcess() = default;
    ChildProcess(pid_t pid, int pidfd) : pid_(pid), pidfd_(pidfd) {}
    ChildProcess(ChildProcess&& o) noexcept { *this = std::move(o); }
    ChildProcess& operator=(ChildProcess&& o) noexcept;
    ~ChildProcess();
    pid_t pid() const { return pid_; }
    // Waits for exit; returns the wait status, or -1 on deadline.
    int wait(std::chrono::milliseconds deadline);
    bool running() const;
    // Readable (POLLIN) once the process has exited; for polling beside other fds.
    int pidfd() const { return pidfd_; }

private:
    pid_t pid_ = 0;
    int pidfd_ = -1;
    bool reaped_ = false;
};

// Writes a file, creating its folders; the text of a file ("" while it does not exist).
void put_file(const std::filesystem::path& path, const std::string& text);
std::string file_text(const std::filesystem::path& path);

// A free TCP port on loopback (bound and released; pmd binds it right after).
uint16_t free_port();
// One HTTP/1.0 GET /; returns the body or "" on any socket error or non-200 answer (1.0 or 1.1).
std::string http_get(uint16_t port);

// Writes `text` to `path`, creating the directories above it (app files, pmd.toml).
void write_text_file(const std::filesystem::path& path, const std::string& text);

// Waits until the process (not necessarily our child) is gone; false on deadline.
bool wait_pid_gone(pid_t pid, std::chrono::milliseconds deadline);

// Waits until pred() holds, checking it again whenever `watched` changes (inotify: a file
// written, or an entry created in a directory); false on deadline. For what no bus announces.
bool wait_for_change(const std::filesystem::path& watched, const std::function<bool()>& pred,
                     std::chrono::milliseconds deadline);

struct HarnessOptions {
    std::vector<std::string> extra_pmd_args;
    // Replaces the permissive bus configuration (e.g. a system-type bus with the shipped policy);
    // "@LISTEN@" in it stands for the listen address.
    std::string bus_config;
    // RLIMIT_NOFILE (soft and hard) for pmd, set in the child before exec; 0 leaves ours.
    unsigned long nofile_limit = 0;
};

class PmdHarness {
public:
    explicit PmdHarness(HarnessOptions options = {});
    ~PmdHarness();

    const std::string& address() const { return address_; }
    const std::filesystem::path& dir() const { return dir_; }
    std::string pmd_log() const;
    pid_t pmd_pid() const { return pmd_.pid(); }

    // pmd's lifetime in the test: start() waits for READY=1 on a notify socket.
    void start_pmd();
    // SIGTERM and wait; returns pmd's wait status.
    int stop_pmd(std::chrono::milliseconds deadline = 20s);

    // The bus daemon dies (SIGKILL) and this harness's connection with it; start_bus() brings
    // a new one up at the same address and connects again.
    void kill_bus();
    void start_bus();

    // pmctl --bus <address> ARGS...
    CommandResult pmctl(const std::vector<std::string>& args);

    // Bus calls on /org/pmd/God1.
    sdbus::IProxy& manager();
    sdbus::IConnection& connection() { return *connection_; }
    sdbus::ObjectPath start_app(const VariantDict& spec);
    std::vector<VariantDict> list_apps();
    std::optional<VariantDict> find_app(const std::string& name);
    void stop(const std::string& name) { call_named("Stop", name); }
    void remove(const std::string& name) { call_named("Delete", name); }
    void restart(const std::string& name) { call_named("Restart", name); }

    // Waits until pmd's log holds `text`: while the bus is gone, the log is all pmd can tell.
    bool wait_for_log(const std::string& text, std::chrono::milliseconds deadline = 10s);
    // Waits until pmd owns org.pmd.God1 on the harness's bus (NameOwnerChanged, or owned
    // already). pmd registers its objects before it asks for the name, so then it serves.
    bool wait_for_pmd_on_bus(std::chrono::milliseconds deadline = 20s);

    // Pumps the client connection (so signals arrive and are counted) until pred() holds.
    bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds deadline = 10s);

    struct Exit {
        std::string app;
        uint32_t instance;
        int32_t pid;
        std::string reason;
        int32_t code;
        std::chrono::steady_clock::time_point at;
    };
    // InstanceExited signals seen so far, in order.
    const std::vector<Exit>& exits() const { return exits_; }

    // The instance dicts of an app (empty if the app is unknown).
    std::vector<VariantDict> instances(const std::string& app);

private:
    void call_named(const char* method, const std::string& name);
    void pump(std::chrono::milliseconds max_wait);

    HarnessOptions options_;
    std::filesystem::path dir_;
    std::string address_;
    ChildProcess bus_;
    ChildProcess pmd_;
    std::unique_ptr<sdbus::IConnection> connection_;
    std::unique_ptr<sdbus::IProxy> manager_;
    std::unique_ptr<sdbus::Slot> exit_match_;
    std::string cgroup_root_;  // pmd's subtree, removed after pmd exits
    std::vector<Exit> exits_;
};

template <typename T>
T field(const VariantDict& d, const std::string& key) {
    auto it = d.find(key);
    if (it == d.end()) throw std::runtime_error("no field '" + key + "'");
    return it->second.get<T>();
}

}  // namespace pmd::test
