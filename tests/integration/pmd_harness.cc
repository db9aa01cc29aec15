#include "pmd_harness.h"

#include "cgroup/cgroup_tree.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace pmd::test {
namespace {

using Clock = std::chrono::steady_clock;

int pidfd_open(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

int remaining_ms(Clock::time_point end) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
}

// fork + exec with stdout/stderr to the given fds (or inherited when -1) and extra fds mapped.
pid_t spawn_process(const std::vector<std::string>& argv, int out_fd, int err_fd,
                    const std::vector<std::pair<int, int>>& fd_map = {},
                    const std::vector<std::string>& extra_env = {}, unsigned long nofile_limit = 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        if (out_fd >= 0) dup2(out_fd, 1);
        if (err_fd >= 0) dup2(err_fd, 2);
        for (auto [from, to] : fd_map) {
            dup2(from, to);
            fcntl(to, F_SETFD, 0);
        }
        for (const auto& e : extra_env) putenv(const_cast<char*>(e.c_str()));
        if (nofile_limit > 0) {
            struct rlimit limit{nofile_limit, nofile_limit};
            if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(126);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    return pid;
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

void put_file(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

std::string file_text(const std::filesystem::path& path) { return slurp(path); }

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
    if (this != &o) {
        this->~ChildProcess();
        pid_ = std::exchange(o.pid_, 0);
        pidfd_ = std::exchange(o.pidfd_, -1);
        reaped_ = std::exchange(o.reaped_, false);
    }
    return *this;
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0 && !reaped_) {
        syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);
        waitpid(pid_, nullptr, 0);
    }
    if (pidfd_ >= 0) close(pidfd_);
    pid_ = 0;
    pidfd_ = -1;
}

bool ChildProcess::running() const {
    if (pid_ <= 0 || reaped_) return false;
    struct pollfd p{pidfd_, POLLIN, 0};
    return poll(&p, 1, 0) == 0;
}

int ChildProcess::wait(std::chrono::milliseconds deadline) {
    if (reaped_) return -1;
    struct pollfd p{pidfd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(deadline.count())) != 1) return -1;
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return status;
}

uint16_t free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    close(fd);
    return ntohs(a.sin_port);
}

std::string http_get(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
        close(fd);
        return "";
    }
    const char req[] = "GET / HTTP/1.0\r\n\r\n";
    if (write(fd, req, sizeof req - 1) != static_cast<ssize_t>(sizeof req - 1)) {
        close(fd);
        return "";
    }
    std::string response;
    char buf[512];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) response.append(buf, static_cast<size_t>(n));
    close(fd);
    // HTTP/1.0 or 1.1: node answers a 1.0 request with 1.1.
    if (n < 0 || response.rfind("HTTP/1.", 0) != 0 || response.compare(8, 5, " 200 ") != 0) return "";
    return response.substr(response.find("\r\n\r\n") + 4);
}

void write_text_file(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

bool wait_pid_gone(pid_t pid, std::chrono::milliseconds deadline) {
    int fd = pidfd_open(pid);
    if (fd < 0) return errno == ESRCH;
    struct pollfd p{fd, POLLIN, 0};
    bool gone = poll(&p, 1, static_cast<int>(deadline.count())) == 1;
    close(fd);
    return gone;
}

bool wait_for_change(const std::filesystem::path& watched, const std::function<bool()>& pred,
                     std::chrono::milliseconds deadline) {
    auto end = Clock::now() + deadline;
    int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0) throw std::runtime_error(std::string("inotify_init1: ") + std::strerror(errno));
    // Watch first, then check: a change between the two is not missed.
    bool watching =
        inotify_add_watch(fd, watched.c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB) >= 0;
    bool held = false;
    while (!(held = pred())) {
        if (!watching) break;  // nothing to wait on: the caller sees the predicate's answer
        struct pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, remaining_ms(end)) != 1) break;
        char buf[4096];
        while (read(fd, buf, sizeof buf) > 0) {
        }
    }
    close(fd);
    return held;
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds deadline) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) throw std::runtime_error("pipe");
    pid_t pid = spawn_process(argv, out[1], err[1]);
    close(out[1]);
    close(err[1]);
    ChildProcess child(pid, pidfd_open(pid));
    CommandResult r;
    auto end = Clock::now() + deadline;
    struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(fds, 2, remaining_ms(end)) <= 0) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !fds[i].revents) continue;
            char buf[4096];
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            } else {
                (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) close(f.fd);
    int status = child.wait(std::chrono::milliseconds(remaining_ms(end)));
    r.exit_code = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

PmdHarness::PmdHarness(HarnessOptions options) : options_(std::move(options)) {
    char tmpl[] = "/tmp/pmd-test-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    std::ofstream(dir_ / "bus.conf")
        << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" "
           "\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
           "<busconfig><type>session</type><listen>unix:path="
        << (dir_ / "bus").string()
        << "</listen><auth>EXTERNAL</auth><policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
           "<allow eavesdrop=\"true\"/><allow own=\"*\"/><allow user=\"*\"/></policy></busconfig>\n";
    if (!options_.bus_config.empty()) {
        std::string text = options_.bus_config;
        if (auto at = text.find("@LISTEN@"); at != std::string::npos)
            text.replace(at, 8, "unix:path=" + (dir_ / "bus").string());
        std::ofstream(dir_ / "bus.conf", std::ios::trunc) << text;
    }
    address_ = "unix:path=" + (dir_ / "bus").string();
    start_bus();
}

void PmdHarness::start_bus() {
    std::error_code ec;
    std::filesystem::remove(dir_ / "bus", ec);  // a killed daemon leaves its socket file
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0) throw std::runtime_error("pipe");
    pid_t pid = spawn_process({"dbus-daemon", "--config-file=" + (dir_ / "bus.conf").string(), "--nofork", "--print-address=3"},
                              -1, -1, {{ready[1], 3}});
    close(ready[1]);
    bus_ = ChildProcess(pid, pidfd_open(pid));
    // The daemon prints its address once it listens.
    struct pollfd p{ready[0], POLLIN, 0};
    char buf[512] = {};
    if (poll(&p, 1, 10'000) != 1 || read(ready[0], buf, sizeof buf - 1) <= 0) {
        close(ready[0]);
        throw std::runtime_error("dbus-daemon did not start");
    }
    close(ready[0]);
    connection_ = sdbus::createSessionBusConnectionWithAddress(address_);
    manager_ = sdbus::createProxy(*connection_, "org.pmd.God1", "/org/pmd/God1");
    exit_match_ = std::make_unique<sdbus::Slot>(connection_->addMatch(
        "type='signal',interface='org.pmd.God1.Manager',member='InstanceExited'", [this](sdbus::Message& msg) {
            Exit e;
            msg >> e.app >> e.instance >> e.pid >> e.reason >> e.code;
            e.at = Clock::now();
            exits_.push_back(e);
        }));
}

void PmdHarness::kill_bus() {
    exit_match_.reset();
    manager_.reset();
    connection_.reset();
    bus_ = ChildProcess();  // SIGKILL and reap
}

PmdHarness::~PmdHarness() {
    if (pmd_.running()) stop_pmd();
    // pmd leaves its (empty) subtree behind: it cannot remove supervisor/, the cgroup it is in.
    // A pmd that died (a failed test, a sanitizer abort) leaves its apps running by design: the
    // test started them, so the test ends them, by their cgroup.
    if (!cgroup_root_.empty() && std::filesystem::exists(cgroup_root_)) {
        std::ofstream(std::filesystem::path(cgroup_root_) / "cgroup.kill") << "1";
        // The kernel empties it within moments and says so in cgroup.events (inotify IN_MODIFY).
        auto events = std::filesystem::path(cgroup_root_) / "cgroup.events";
        wait_for_change(events, [&] { return slurp(events).find("populated 0") != std::string::npos; }, 2s);
        std::vector<std::filesystem::path> dirs;
        std::error_code ec;
        for (auto it = std::filesystem::recursive_directory_iterator(cgroup_root_, ec);
             it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
            if (it->is_directory(ec)) dirs.push_back(it->path());
        std::sort(dirs.begin(), dirs.end(), [](const auto& a, const auto& b) { return a.string().size() > b.string().size(); });
        for (const auto& d : dirs) rmdir(d.c_str());
        rmdir(cgroup_root_.c_str());
    }
    exit_match_.reset();
    manager_.reset();
    connection_.reset();
    bus_ = ChildProcess();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

void PmdHarness::start_pmd() {
    int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string notify_path = (dir_ / "notify").string();
    std::strncpy(addr.sun_path, notify_path.c_str(), sizeof addr.sun_path - 1);
    unlink(notify_path.c_str());
    if (bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) throw std::runtime_error("bind notify socket");
    int log = open((dir_ / "pmd.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    std::vector<std::string> argv{PMD_BIN, "--bus", address_, "--state-dir", (dir_ / "state").string(),
                                  "--log-dir", (dir_ / "log").string(), "--config", (dir_ / "pmd.toml").string()};
    argv.insert(argv.end(), options_.extra_pmd_args.begin(), options_.extra_pmd_args.end());
    std::vector<std::string> env{"NOTIFY_SOCKET=" + notify_path};
    // pmd loads its metrics module from this build tree unless a test points it elsewhere.
    if (!std::getenv("PMD_METRICS_MODULE")) env.push_back(std::string("PMD_METRICS_MODULE=") + PMD_METRICS_MODULE_FILE);
    if (!std::getenv("PMD_CLUSTER_PRELOAD")) env.push_back(std::string("PMD_CLUSTER_PRELOAD=") + PMD_CLUSTER_PRELOAD_FILE);
    pid_t pid = spawn_process(argv, log, log, {}, env, options_.nofile_limit);
    close(log);
    pmd_ = ChildProcess(pid, pidfd_open(pid));
    auto end = Clock::now() + 20s;
    std::string received;
    while (received.find("READY=1") == std::string::npos) {
        // pmd's pidfd beside the notify socket: a pmd that refuses to start (bad config) fails
        // the start at once instead of after the whole deadline.
        struct pollfd p[2] = {{sock, POLLIN, 0}, {pmd_.pidfd(), POLLIN, 0}};
        if (poll(p, 2, remaining_ms(end)) < 1) {
            close(sock);
            throw std::runtime_error("pmd did not send READY=1 within 20 s; its log:\n" + pmd_log());
        }
        if ((p[1].revents & POLLIN) && !(p[0].revents & POLLIN)) {
            close(sock);
            int status = pmd_.wait(0ms);
            throw std::runtime_error("pmd exited (wait status " + std::to_string(status) +
                                     ") before READY=1; its log:\n" + pmd_log());
        }
        char buf[4096];
        ssize_t n = recv(sock, buf, sizeof buf, 0);
        if (n > 0) received.append(buf, static_cast<size_t>(n));
    }
    close(sock);
    try {
        std::string root = manager_->getProperty("CgroupRoot").onInterface("org.pmd.God1.Manager").get<std::string>();
        std::string mount = pmd::find_cgroup2_mount(slurp("/proc/self/mountinfo"));
        if (!root.empty() && !mount.empty()) cgroup_root_ = mount + root;
    } catch (const sdbus::Error&) {
    }
}

int PmdHarness::stop_pmd(std::chrono::milliseconds deadline) {
    kill(pmd_.pid(), SIGTERM);
    return pmd_.wait(deadline);
}

std::string PmdHarness::pmd_log() const { return slurp(dir_ / "pmd.log"); }

CommandResult PmdHarness::pmctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{PMCTL_BIN, "--bus", address_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
}

sdbus::IProxy& PmdHarness::manager() { return *manager_; }

sdbus::ObjectPath PmdHarness::start_app(const VariantDict& spec) {
    sdbus::ObjectPath path;
    manager_->callMethod("StartApp").onInterface("org.pmd.God1.Manager").withArguments(spec).storeResultsTo(path);
    return path;
}

std::vector<VariantDict> PmdHarness::list_apps() {
    std::vector<VariantDict> apps;
    manager_->callMethod("ListApps").onInterface("org.pmd.God1.Manager").storeResultsTo(apps);
    return apps;
}

std::optional<VariantDict> PmdHarness::find_app(const std::string& name) {
    for (auto& app : list_apps())
        if (field<std::string>(app, "name") == name) return app;
    return std::nullopt;
}

std::vector<VariantDict> PmdHarness::instances(const std::string& app) {
    auto found = find_app(app);
    if (!found) return {};
    return field<std::vector<VariantDict>>(*found, "instances");
}

void PmdHarness::call_named(const char* method, const std::string& name) {
    manager_->callMethod(method).onInterface("org.pmd.God1.Manager").withTimeout(60s).withArguments(name);
}

bool PmdHarness::wait_for_log(const std::string& text, std::chrono::milliseconds deadline) {
    return wait_for_change(dir_ / "pmd.log", [&] { return pmd_log().find(text) != std::string::npos; }, deadline);
}

bool PmdHarness::wait_for_pmd_on_bus(std::chrono::milliseconds deadline) {
    bool owned = false;
    auto match = connection_->addMatch(
        "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged',"
        "arg0='org.pmd.God1'",
        [&](sdbus::Message& msg) {
            std::string name, old_owner, new_owner;
            msg >> name >> old_owner >> new_owner;
            if (!new_owner.empty()) owned = true;
        });
    // Asked after the match is in place: an owner that arrived before is seen here instead.
    auto bus = sdbus::createProxy(*connection_, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    bool has_owner = false;
    bus->callMethod("NameHasOwner").onInterface("org.freedesktop.DBus").withArguments(std::string("org.pmd.God1"))
        .storeResultsTo(has_owner);
    auto end = Clock::now() + deadline;
    owned = owned || has_owner;
    while (!owned && Clock::now() < end) pump(std::chrono::milliseconds(remaining_ms(end)));
    return owned;
}

void PmdHarness::pump(std::chrono::milliseconds max_wait) {
    while (connection_->processPendingRequest()) {
    }
    auto poll_data = connection_->getEventLoopPollData();
    struct pollfd p{poll_data.fd, poll_data.events, 0};
    int timeout = static_cast<int>(max_wait.count());
    int bus_timeout = poll_data.getPollTimeout();
    if (bus_timeout >= 0 && bus_timeout < timeout) timeout = bus_timeout;
    poll(&p, 1, timeout);
    while (connection_->processPendingRequest()) {
    }
}

bool PmdHarness::wait_until(const std::function<bool()>& pred, std::chrono::milliseconds deadline) {
    auto end = Clock::now() + deadline;
    // Every state change is announced on the bus (PropertiesChanged, InstanceExited), so the
    // predicate is re-checked when a message arrives; the 50 ms cap only bounds how late a
    // change that is not announced (a process that disappears below an instance) is seen.
    auto match = connection_->addMatch("type='signal',sender='org.pmd.God1'", [](sdbus::Message&) {});
    while (true) {
        if (pred()) return true;
        if (Clock::now() >= end) return false;
        pump(std::min<std::chrono::milliseconds>(50ms, std::chrono::milliseconds(remaining_ms(end))));
    }
}

}  // namespace pmd::test
