#include "god/cgroup_scope.h"

#include <signal.h>

#include <fstream>
#include <memory>
#include <utility>

#include "god/process_group_scope.h"
#include "satan/process_limits.h"

namespace pmd {
namespace {

class CgroupWatch final : public ScopeWatch {
public:
    explicit CgroupWatch(CgroupEventsWatcher::Watch watch) : watch_(std::move(watch)) {}

private:
    CgroupEventsWatcher::Watch watch_;
};

}  // namespace

void CgroupScope::signal_all(const ProcessRef& main, int signal) {
    // Every process of the instance gets the signal (systemd's control-group mode), so
    // well-behaved grandchildren can finish too.
    pid_t main_pid = main ? main.pid() : 0;
    if (main) main.send_signal(signal);
    for (pid_t pid : dir_.procs())
        if (pid != main_pid) ::kill(pid, signal);
}

std::unique_ptr<ScopeWatch> CgroupScope::watch(std::function<void()> changed) {
    return std::make_unique<CgroupWatch>(watcher_.watch(dir_.path(), std::move(changed)));
}

void CgroupScope::prepare_spawn(const AppSpec& spec, SpawnRequest& request) {
    apply_app_limits(spec, &dir_, request);
    request.cgroup_fd = dir_.fd();
}

std::unique_ptr<ScopeWatch> CgroupScope::freeze(std::function<void()> frozen) {
    if (!dir_.write_file("cgroup.freeze", "1")) return nullptr;
    // The watch reads the file by path, not through dir_: the scope may be gone before the
    // kernel is done, and the watch outlives it.
    auto pending = std::make_shared<std::function<void()>>(std::move(frozen));
    auto check = [pending, events = dir_.path() + "/cgroup.events"] {
        if (!*pending) return;
        std::ifstream in(events);
        std::string key, value;
        while (in >> key >> value)
            if (key == "frozen" && value == "1") std::exchange(*pending, nullptr)();
    };
    auto watch = std::make_unique<CgroupWatch>(watcher_.watch(dir_.path(), check));
    check();  // an empty cgroup, or a quick kernel: frozen already, and no change to come
    return watch;
}

std::unique_ptr<MemoryGuard> CgroupScope::guard_memory(uint64_t limit, MemoryGuard::Over over) {
    if (!tree_.has_controller("memory")) return nullptr;
    return MemoryGuard::with_cgroup(watcher_, dir_, limit, std::move(over));
}

PidPlace CgroupScopes::place_of(pid_t pid) const {
    PidPlace place;
    place.pid = pid;
    std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("0::", 0) == 0) place.cgroup = line.substr(3);
    return place;
}

std::unique_ptr<ProcessScopes> make_process_scopes(EventLoop& loop, CgroupTree* tree) {
    if (tree) return std::make_unique<CgroupScopes>(loop, *tree);
    return std::make_unique<ProcessGroupScopes>();
}

}  // namespace pmd
