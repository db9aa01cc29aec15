#include "god/cgroup_scope.h"

#include <signal.h>

#include <fstream>

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
