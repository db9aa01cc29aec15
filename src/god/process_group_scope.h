// ProcessGroupScope: without cgroup2, an instance's processes are its main process's group
// (spawn() makes each main process a group leader). A process that leaves the group escapes,
// and once the leader is reaped nobody can tell who was in it: what is left is killed then.
#pragma once

#include "god/process_scope.h"

namespace pmd {

class ProcessGroupScope final : public ProcessScope {
public:
    bool populated() const override { return false; }
    void signal_all(const ProcessRef& main, int signal) override;
    void kill_all(const ProcessRef& main) override { signal_all(main, SIGKILL); }
    void main_exited(pid_t pid) override;
    std::unique_ptr<ScopeWatch> watch(std::function<void()>) override { return nullptr; }
    bool owns(const PidPlace& place, const ProcessRef& main) const override {
        return main && (main.pid() == place.pid || main.pid() == place.pgid);
    }
    bool reusable() const override { return true; }
    void prepare_spawn(const AppSpec& spec, SpawnRequest& request) override;
    uint64_t cpu_nsec() const override { return 0; }
    std::optional<IoUsage> io_usage() const override { return std::nullopt; }
    ResourceUsage usage(const ProcessRef& main) const override;
    std::unique_ptr<MemoryGuard> guard_memory(uint64_t, MemoryGuard::Over) override { return nullptr; }
    std::vector<pid_t> procs() const override { return {}; }
    std::string cgroup_path() const override { return ""; }
    void remove() override {}
};

class ProcessGroupScopes final : public ProcessScopes {
public:
    CgroupDir app_dir(const std::string&) override { return {}; }
    std::unique_ptr<ProcessScope> instance_scope(const CgroupDir&, unsigned, unsigned) override {
        return std::make_unique<ProcessGroupScope>();
    }
    PidPlace place_of(pid_t pid) const override;
    std::string mode_name() const override { return "process-group"; }
    std::string root() const override { return ""; }
    std::string stats_source() const override { return "/proc of the main process (no cgroup2: process-group mode)"; }
    const CgroupTree* tree() const override { return nullptr; }
};

}  // namespace pmd
