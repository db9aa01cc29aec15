// CgroupScope: an instance's processes in its own cgroup2 directory (god/process_scope.h). The
// kernel places each child at its birth (clone3 CLONE_INTO_CGROUP), counts every descendant,
// kills them all at once (cgroup.kill) and says when the last is gone (cgroup.events).
#pragma once

#include "cgroup/cgroup_events_watcher.h"
#include "cgroup/cgroup_tree.h"
#include "god/process_scope.h"

namespace pmd {

class CgroupScope final : public ProcessScope {
public:
    CgroupScope(const CgroupTree& tree, CgroupEventsWatcher& watcher, CgroupDir dir)
        : tree_(tree), watcher_(watcher), dir_(std::move(dir)) {}

    bool populated() const override { return dir_.populated(); }
    void signal_all(const ProcessRef& main, int signal) override;
    void kill_all(const ProcessRef&) override { dir_.kill_all(); }
    void main_exited(pid_t) override {}
    std::unique_ptr<ScopeWatch> watch(std::function<void()> changed) override;
    bool owns(const PidPlace& place, const ProcessRef&) const override {
        return dir_ && !place.cgroup.empty() && dir_.relative() == place.cgroup;
    }
    bool reusable() const override { return !dir_.killed(); }
    void prepare_spawn(const AppSpec& spec, SpawnRequest& request) override;
    uint64_t cpu_nsec() const override { return read_cgroup_cpu_nsec(dir_); }
    std::optional<IoUsage> io_usage() const override { return read_cgroup_io(dir_); }
    ResourceUsage usage(const ProcessRef&) const override {
        return read_cgroup_usage(dir_, tree_.has_controller("memory"));
    }
    std::unique_ptr<MemoryGuard> guard_memory(uint64_t limit, MemoryGuard::Over over) override;
    std::vector<pid_t> procs() const override { return dir_.procs(); }
    std::string cgroup_path() const override { return dir_.relative(); }
    void remove() override { dir_.remove(); }
    std::unique_ptr<ScopeWatch> freeze(std::function<void()> frozen) override;
    void thaw() override { dir_.write_file("cgroup.freeze", "0"); }

private:
    const CgroupTree& tree_;
    CgroupEventsWatcher& watcher_;
    CgroupDir dir_;
};

class CgroupScopes final : public ProcessScopes {
public:
    CgroupScopes(EventLoop& loop, CgroupTree& tree) : tree_(tree), watcher_(loop) {}

    CgroupDir app_dir(const std::string& app) override { return tree_.make_app_dir(app); }
    std::unique_ptr<ProcessScope> instance_scope(const CgroupDir& app_dir, unsigned index,
                                                 unsigned generation) override {
        return std::make_unique<CgroupScope>(tree_, watcher_, tree_.make_instance_dir(app_dir, index, generation));
    }
    PidPlace place_of(pid_t pid) const override;
    std::string mode_name() const override { return tree_.mode_name(); }
    std::string root() const override { return tree_.root(); }
    std::string stats_source() const override { return usage_source(tree_.has_controller("memory")); }
    const CgroupTree* tree() const override { return &tree_; }

private:
    CgroupTree& tree_;
    CgroupEventsWatcher watcher_;
};

}  // namespace pmd
