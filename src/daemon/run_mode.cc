#include "daemon/run_mode.h"

#include <signal.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "cgroup/cgroup_tree.h"
#include "daemon/stdio_output_router.h"
#include "event/event_loop.h"
#include "god/declared_apps.h"
#include "god/manager.h"

namespace pmd {
namespace {

// A private directory for the notify socket, removed at exit.
class ScratchDir {
public:
    ScratchDir() {
        const char* base = std::getenv("XDG_RUNTIME_DIR");
        if (!base || !*base) base = std::getenv("TMPDIR");
        if (!base || !*base) base = "/tmp";
        std::string templ = std::string(base) + "/pmd-run-XXXXXX";
        if (!mkdtemp(templ.data()))
            throw std::runtime_error("cannot create a runtime directory under " + std::string(base) + ": " +
                                     std::strerror(errno) + " (set TMPDIR to a writable directory)");
        path_ = templ;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// Decides when every app is over; checked once per loop iteration after any change.
class EndWatcher final : public ManagerObserver {
public:
    EndWatcher(EventLoop& loop, Manager& manager) : loop_(loop), manager_(manager) {}
    bool stopping = false;  // a signal asked us to stop: that path exits 0 itself

    void app_added(const App&) override { schedule(); }
    void app_removed(const std::string&) override { schedule(); }
    void app_changed(const App&) override { schedule(); }
    void instance_exited(const App&, const Instance&, const ExitRecord&) override { schedule(); }

private:
    void schedule() {
        if (!check_) check_ = loop_.add_defer([this] { check(); });
    }
    void check() {
        check_.reset();
        if (stopping) return;
        bool all_ok = true;
        for (const App* app : manager_.apps()) {
            for (const Instance* instance : app->all_instances()) {
                if (instance->state != InstanceState::Stopped && instance->state != InstanceState::Errored) return;
                const auto& exit = instance->last_exit;
                all_ok &= instance->state == InstanceState::Stopped && exit && exit->reason == "exited" && exit->code == 0;
            }
        }
        spdlog::info("every app has stopped ({}); exiting", all_ok ? "all exited with status 0" : "not all exited with status 0");
        loop_.exit(all_ok ? 0 : 1);
    }

    EventLoop& loop_;
    Manager& manager_;
    EventSource check_;
};

// As PID 1 of a container, pmd inherits every orphan (a double-forked grandchild) and must reap
// it, or zombies pile up. Instances' main processes (and exec health checks) are reaped by the
// Manager through their pidfds, so only other children are waited for here, by pid.
void reap_orphans(const Manager& manager) {
    std::vector<pid_t> own = manager.own_children();
    std::set<pid_t> managed(own.begin(), own.end());
    std::ifstream children("/proc/self/task/" + std::to_string(getpid()) + "/children");
    pid_t pid;
    while (children >> pid)
        if (!managed.count(pid)) waitpid(pid, nullptr, WNOHANG);
}

}  // namespace

int run_foreground(const RunOptions& options, const DaemonConfig& config) {
    ScratchDir scratch;
    EventLoop loop;
    std::string why;
    auto tree = CgroupTree::setup({options.cgroup, "run-" + std::to_string(getpid()), ""}, why);
    if (!tree)
        spdlog::warn("no usable cgroup2 ({}): falling back to process groups; a process that leaves its process "
                     "group escapes stop", why);
    else
        spdlog::info("pmd run: processes in cgroup2 {}{}", tree->mount(), tree->root());
    StdioOutputRouter output;
    Manager manager(loop, make_process_scopes(loop, tree.get()), std::make_unique<SpawnLauncher>(), output);
    manager.enable_notify(scratch.path() + "/notify");
    manager.enable_cluster(scratch.path() + "/cluster");
    EndWatcher watcher(loop, manager);
    manager.set_observer(&watcher);

    // Watched (so blocked) before the first child exists: an orphan that exits early would
    // otherwise raise a SIGCHLD nobody takes, and stay a zombie until the next one.
    EventSource orphans;
    if (getpid() == 1) orphans = loop.add_signal(SIGCHLD, [&](int) { reap_orphans(manager); });

    // No apps_dir, no dump: the file on the command line is the whole configuration.
    DeclaredApps declared(manager, {"", "", config.defaults, false});
    auto path = std::filesystem::absolute(options.file).lexically_normal();
    auto started = declared.start_file_apps(declared.read_file(path, options.profile, options.only), path, getuid());
    spdlog::info("pmd run: started {} app(s) from {}", started.size(), path.string());

    auto shutdown = [&](int sig) {
        if (watcher.stopping) return;
        watcher.stopping = true;
        spdlog::info("got signal {}: stopping every app, then exiting", sig);
        manager.stop("all", [&](std::optional<Error>) { loop.exit(0); });
    };
    auto term = loop.add_signal(SIGTERM, shutdown);
    auto interrupt = loop.add_signal(SIGINT, shutdown);
    signal(SIGPIPE, SIG_IGN);
    int code = loop.run();
    manager.set_observer(nullptr);
    // Every app has stopped: their cgroups are empty, and the subtree made for this run goes
    // with it rather than piling up one empty run-<pid> per container start.
    if (tree && !tree->remove_subtree())
        spdlog::info("pmd run: cgroup {}{} is left in place (pmd started inside it, or it is not empty)", tree->mount(),
                     tree->root());
    return code < 0 ? 1 : code;
}

}  // namespace pmd
