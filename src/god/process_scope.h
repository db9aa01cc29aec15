// ProcessScope: what holds every process of one instance's runs, so that the Manager can signal,
// kill and wait for all of them without knowing how the kernel groups them. Two real kinds:
// a cgroup2 directory (god/cgroup_scope.h), where the kernel counts the processes and says when
// the last one is gone, and a process group (god/process_group_scope.h), pmd's fallback without
// cgroup2, where nothing is known once the main process is reaped. ProcessScopes makes them
// (one kind per daemon) and answers where a pid belongs; manager_test.cc fakes both.
//
// A scope outlives runs: an instance keeps its scope across restarts until it is spent (a
// killed cgroup), then gets a fresh one under a new generation.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cgroup/cgroup_dir.h"
#include "cgroup/resource_usage.h"
#include "god/memory_guard.h"
#include "satan/process_ref.h"
#include "satan/spawner.h"
#include "spec/app_spec.h"

namespace pmd {

class CgroupTree;

// Where a process is, read once per question (one /proc read for a message, not one per instance).
struct PidPlace {
    pid_t pid = 0;
    std::string cgroup;  // as /proc/PID/cgroup says ("0::" line); empty without cgroup2
    pid_t pgid = -1;
};

// Cancels a watch when destroyed.
class ScopeWatch {
public:
    virtual ~ScopeWatch() = default;
};

class ProcessScope {
public:
    virtual ~ProcessScope() = default;

    // Whether any process of the scope may still run. A process group cannot tell once its
    // leader is reaped, and says no.
    virtual bool populated() const = 0;
    // `signal` to every process; the main one once, through its pidfd (many servers take a
    // second SIGINT as "quit now").
    virtual void signal_all(const ProcessRef& main, int signal) = 0;
    // SIGKILL to every process.
    virtual void kill_all(const ProcessRef& main) = 0;
    // The main process (pid) was reaped. A process group kills what it left behind now: later
    // there is no telling who was in it.
    virtual void main_exited(pid_t pid) = 0;
    // Calls `changed` after each change of populated() until the watch is destroyed; callers
    // re-read populated(): changes coalesce and may be spurious.
    virtual std::unique_ptr<ScopeWatch> watch(std::function<void()> changed) = 0;
    // Whether `place` is in this scope (main: the current run's main process, maybe none).
    virtual bool owns(const PidPlace& place, const ProcessRef& main) const = 0;
    // False once the scope must not receive new processes (a killed cgroup, see
    // CgroupDir::killed): the instance takes a fresh scope for its next run.
    virtual bool reusable() const = 0;
    // Puts the new run into the scope and applies the spec's limits.
    virtual void prepare_spawn(const AppSpec& spec, SpawnRequest& request) = 0;
    // CPU the scope has used so far, earlier runs included (0 where not counted).
    virtual uint64_t cpu_nsec() const = 0;
    // Block-device bytes (io.stat); none where the io controller does not count them.
    virtual std::optional<IoUsage> io_usage() const = 0;
    virtual ResourceUsage usage(const ProcessRef& main) const = 0;
    // Event-driven max_memory_restart where the kernel can tell; null where it must be sampled.
    virtual std::unique_ptr<MemoryGuard> guard_memory(uint64_t limit, MemoryGuard::Over over) = 0;
    // Every process now in the scope (after a crash: the instance's processes to take back).
    virtual std::vector<pid_t> procs() const = 0;
    // Path relative to the cgroup2 mount, as the bus shows it; empty for a process group.
    virtual std::string cgroup_path() const = 0;
    // Removes what the scope made (the directory, once empty); nothing is thrown.
    virtual void remove() = 0;
    // Freezes every process of the scope (cgroup.freeze): none runs again until thaw(), and a
    // signal sent meanwhile is the first thing each takes when it does. Calls `frozen` once
    // the kernel says all are (maybe before returning), until the watch is destroyed. Null,
    // and no call, where the scope cannot freeze.
    virtual std::unique_ptr<ScopeWatch> freeze(std::function<void()> frozen) {
        (void)frozen;
        return nullptr;
    }
    virtual void thaw() {}
};

class ProcessScopes {
public:
    virtual ~ProcessScopes() = default;
    // The app's own directory, the parent of its instances' (empty without cgroup2).
    virtual CgroupDir app_dir(const std::string& app) = 0;
    virtual std::unique_ptr<ProcessScope> instance_scope(const CgroupDir& app_dir, unsigned index,
                                                         unsigned generation) = 0;
    virtual PidPlace place_of(pid_t pid) const = 0;
    // "cgroup2 ...", "process-group": what status and the report say.
    virtual std::string mode_name() const = 0;
    virtual std::string root() const = 0;
    virtual std::string stats_source() const = 0;
    // The tree pmd manages, for the report of controllers; null in process-group mode.
    virtual const CgroupTree* tree() const = 0;
};

// The daemon's: cgroup-backed scopes when tree is set, process groups otherwise.
class EventLoop;
std::unique_ptr<ProcessScopes> make_process_scopes(EventLoop& loop, CgroupTree* tree);

}  // namespace pmd
