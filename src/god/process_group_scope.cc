#include "god/process_group_scope.h"

#include <signal.h>
#include <unistd.h>

#include "satan/process_limits.h"

namespace pmd {

void ProcessGroupScope::signal_all(const ProcessRef& main, int signal) {
    if (main) ::kill(-main.pid(), signal);
}

void ProcessGroupScope::main_exited(pid_t pid) { ::kill(-pid, SIGKILL); }

void ProcessGroupScope::prepare_spawn(const AppSpec& spec, SpawnRequest& request) {
    apply_app_limits(spec, nullptr, request);
    request.cgroup_fd = -1;
}

ResourceUsage ProcessGroupScope::usage(const ProcessRef& main) const { return read_proc_usage({main.pid()}); }

PidPlace ProcessGroupScopes::place_of(pid_t pid) const { return {pid, "", getpgid(pid)}; }

}  // namespace pmd
