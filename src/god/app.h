// App and Instance: the state god/ keeps for each managed app. Only Manager changes them;
// everything else (the bus, pmctl through the bus) reads them.
//
// Instance states:
//   online           its main process runs
//   stopping         stop signal sent; waiting for the cgroup to empty (kill_timeout, then kill)
//   waiting-restart  the last process is gone; a restart is due after the policy's delay
//   stopped          not running and not meant to be (stopped by request, or autorestart off)
//   errored          not running because restarting failed or was given up (max_restarts,
//                    exec failure); last_exit says why
//
// Readiness is separate from the state: an online instance is ready once it sent READY=1
// (wait_ready) or, otherwise, has called listen() (exec_mode = "cluster") or stayed up
// listen_timeout, as PM2 decides when a reload may go on. A rolling reload starts a replacement for a slot in App::incoming, waits for it to be
// ready, stops the old one, then moves the replacement into App::instances.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "cgroup/cgroup_dir.h"
#include "cluster/listen_socket_set.h"
#include "cluster/shared_socket_pool.h"
#include "cluster/node_channel.h"
#include "event/event_loop.h"
#include "spec/app_spec.h"
#include "config/cron_schedule.h"
#include "god/file_watch.h"
#include "god/health_check.h"
#include "god/memory_guard.h"
#include "god/process_scope.h"
#include "god/restart_policy.h"
#include "cgroup/resource_usage.h"
#include "satan/process_ref.h"
#include "satan/spawner.h"

namespace pmd {

enum class InstanceState { Online, Stopping, WaitingRestart, Stopped, Errored };
std::string state_name(InstanceState state);

// How many slots `instances` asks for: 0 is PM2's "max", one per CPU.
uint32_t instance_count(uint32_t configured);

struct ExitRecord {
    pid_t pid = 0;
    // "exited", "killed", "dumped", "exec-failed"; or why pmd ended the run: "watchdog",
    // "memory" (max_memory_restart), "health", "cron" (cron_restart), "watch".
    std::string reason;
    int code = 0;             // exit status or signal number
    std::string description;  // "exited with status 3", "cannot execute /x: ..."
};

class Instance {
public:
    Instance(uint64_t serial, unsigned index, unsigned generation, const AppSpec& spec)
        : serial(serial), index(index), generation(generation), policy(spec) {}

    uint64_t serial;      // unique in the daemon's life: pending callbacks find instances by it
    unsigned index;       // the slot, 0..instances-1 (PMD_INSTANCE)
    unsigned generation;  // names the cgroup; a new one for each reload or after cgroup.kill
    uint64_t spec_serial = 0;  // App::spec_serial of the spec its current run was spawned with
    InstanceState state = InstanceState::Stopped;
    bool want_running = false;
    ProcessRef process;
    std::unique_ptr<ProcessScope> scope;  // made at the first spawn (or adoption)
    RestartPolicy policy;
    uint32_t restarts = 0;  // every respawn, automatic or asked for
    uint64_t started_usec = 0;
    // The instance cgroup's cpu.stat usage when the current run was spawned: a cgroup is
    // reused across restarts and keeps counting the processes of earlier runs, which are not
    // this run's CPU.
    uint64_t cpu_base_nsec = 0;
    std::optional<ExitRecord> last_exit;

    bool ready = false;
    std::string status_text;  // last STATUS= from the instance
    // A restart pmd decided (watchdog, memory, health, cron, watch): the next exit of this
    // instance is recorded with this reason instead of the bare exit status.
    struct Trigger {
        std::string reason;
        std::string description;
    };
    std::optional<Trigger> trigger;
    // Respawn as soon as the instance is down, without the restart policy (memory, health):
    // pmd ended it on purpose, so it is neither a crash nor unstable.
    bool restart_now = false;
    std::unique_ptr<MemoryGuard> memory_guard;  // max_memory_restart, while running
    std::unique_ptr<HealthChecker> health;      // health_check, from ready until exit
    std::unique_ptr<NodeChannel> channel;       // Node apps: process.send() and 'shutdown', while running
    EventSource ready_timer;     // listen_timeout (extended by EXTEND_TIMEOUT_USEC)
    EventSource watchdog_timer;  // watchdog_sec after the last WATCHDOG=1
    // Run once when readiness is decided: true = ready, false = failed (with why).
    std::vector<std::function<void(bool, const std::string&)>> on_ready;

    EventSource exit_watch;   // pidfd readable
    EventSource timer;        // kill_timeout while stopping, restart delay while waiting
    std::unique_ptr<ScopeWatch> empty_watch;
    std::vector<std::function<void()>> on_down;  // run when it reaches stopped/errored

    // The last reading of the instance's usage and when it was taken (0: none since the spawn).
    // `pmctl ls`, monit and the metrics endpoint all ask within the same second; one reading
    // serves them all (Manager::stats).
    ResourceUsage usage;
    uint64_t usage_usec = 0;
    // CPU percent is a rate: the previous sample is kept to compute it at the next reading.
    uint64_t cpu_sample_usec = 0;
    uint64_t cpu_sample_nsec = 0;
    double cpu_percent = 0;

    // The scope's cgroup, relative to the mount; empty without one.
    std::string cgroup_path() const { return scope ? scope->cgroup_path() : std::string(); }

    bool running() const { return state == InstanceState::Online || state == InstanceState::Stopping; }
};

// What a spawn of this app needs, computed once from the spec when the app is created.
struct LaunchPlan {
    std::string executable;
    std::vector<std::string> base_env;  // the app's env plus defaults, without per-instance vars
    std::optional<Credentials> credentials;
    std::string user_name;              // for display
    // What will not work as the spec asks (a static binary in cluster mode), said at start
    // in pmd's log and shown by describe.
    std::vector<std::string> warnings;
    // The executable is node (by name or #! line): instances get PM2's IPC channel.
    bool node_channel = false;
};

class App {
public:
    uint64_t id = 0;  // distinguishes a re-created app of the same name in pending callbacks
    AppSpec spec;
    // Names the spec (a new one for each update_spec): a failed update finds the instances
    // already running the new spec by it and rolls them back.
    uint64_t spec_serial = 0;
    LaunchPlan plan;
    uid_t owner = 0;
    // Where the app came from: "request" (StartApp, pmctl start -- CMD), "file:<path>" (an app
    // file: apps_dir at boot or daemon-reload, or StartFile), "dump" (resurrect). daemon-reload
    // only touches apps whose file is in apps_dir.
    std::string source = "request";
    CgroupDir cgroup;
    ListenSocketSet sockets;
    // exec_mode = "cluster": the sockets its instances bound, shared by all of them until delete.
    std::shared_ptr<SharedSocketPool> shared_sockets;
    std::vector<std::unique_ptr<Instance>> instances;
    std::vector<std::unique_ptr<Instance>> incoming;  // replacements of a running reload
    bool deleting = false;
    // The app-wide operation in flight, one at a time: a rolling reload (State reads
    // "reloading"), or a restart to a new spec (update_spec; its instances say what they do:
    // stopping, then online). Either keeps reload, scale, restart, spec updates, triggers and a
    // handover out until it ends.
    enum class Operation { None, Reload, SpecRestart };
    Operation operation = Operation::None;
    bool busy() const { return operation != Operation::None; }
    // Someone stopped the app (pmctl stop, or a resurrected dump that says so): its desired
    // state is stopped, which save records. An app whose processes exited by themselves
    // (autorestart = false) is not: cron_restart starts it again, as PM2 does.
    bool stop_requested = false;
    // The last instance cgroup generation handed out: unique per app, so a replacement's
    // cgroup never collides with one still being emptied.
    unsigned last_generation = 0;

    // Restart triggers of the whole app.
    std::optional<CronSchedule> cron;
    uint64_t next_cron_usec = 0;  // CLOCK_REALTIME microseconds of the next cron_restart; 0 = none
    EventSource cron_timer;
    std::unique_ptr<FileWatch> file_watch;

    // Derived from the instances: see state_name() of the app in app.cc.
    std::string state() const;
    uint32_t restarts() const;
    std::vector<pid_t> pids() const;
    // Every instance, serving or incoming.
    std::vector<Instance*> all_instances() const;
    // Whether any slot is meant to run: false for a stopped app (pmctl stop), even while its
    // last processes are still going away.
    bool wanted_running() const;
};

// "name[index]", how logs name an instance.
std::string label(const App& app, const Instance& instance);

}  // namespace pmd
