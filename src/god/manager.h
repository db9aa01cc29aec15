// Manager: the God role. It holds every app, turns specs into running instances through
// satan/ (spawn) and cgroup/ (placement, kill, emptiness), and decides what happens when an
// instance's processes are gone (RestartPolicy). Everything happens in the one event loop:
// pidfd readability, cgroup.events changes and timers come back here.
//
// Long operations (stop, restart, delete) complete through a Done callback, so the bus can
// answer a method call when the work is finished, not when it was asked for.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd_store.h"
#include "cgroup/resource_usage.h"
#include "event/event_loop.h"
#include "cluster/bind_broker.h"
#include "cluster/notify_socket.h"
#include "god/app.h"
#include "god/handover.h"
#include "god/launcher.h"
#include "god/process_scope.h"
#include "logs/output_router.h"

namespace pmd {

// The bus layer implements this to publish changes; the core never knows D-Bus.
class ManagerObserver {
public:
    virtual ~ManagerObserver() = default;
    virtual void app_added(const App& app) = 0;
    virtual void app_removed(const std::string& name) = 0;
    virtual void app_changed(const App& app) = 0;
    virtual void instance_exited(const App& app, const Instance& instance, const ExitRecord& exit) = 0;
};

// Figures of one instance at the time of the call.
struct InstanceStats {
    uint64_t uptime_ms = 0;
    uint64_t memory_bytes = 0;
    uint64_t cpu_usage_nsec = 0;  // of the current run's processes only
    double cpu_percent = 0;       // of the current run's processes only
    // Everything the instance's cgroup has used, earlier runs included: never decreases while
    // the slot keeps its cgroup, as a Prometheus counter must (the metrics endpoint).
    uint64_t cpu_total_nsec = 0;
    uint32_t processes = 0;
};

// How Manager::update_spec brought an app to its new spec.
struct SpecUpdate {
    enum class How { Reloaded, Restarted, Updated };
    // Reloaded: rolled one batch at a time, sockets kept open (no refused connection).
    // Restarted: every instance stopped, then started with the new spec; `why` says why a
    //            reload could not apply it (god/spec_change.h).
    // Updated: the app was stopped; the spec is replaced and nothing is started.
    How how = How::Updated;
    std::string why;
};

class Manager {
public:
    using Done = std::function<void(std::optional<Error>)>;
    using UpdateDone = std::function<void(std::optional<Error>, SpecUpdate)>;

    // scopes: where instances' processes are kept (make_process_scopes: cgroup2, or process
    // groups without it); launcher: how their main processes start (SpawnLauncher).
    Manager(EventLoop& loop, std::unique_ptr<ProcessScopes> scopes, std::unique_ptr<Launcher> launcher,
            OutputRouter& output);
    ~Manager();

    void set_observer(ManagerObserver* observer) { observer_ = observer; }
    // Called (possibly many times per loop iteration) whenever an app or instance changes:
    // the daemon rewrites the live file (god/handover.h) from live_set().
    void set_on_change(std::function<void()> on_change) { on_change_ = std::move(on_change); }
    // Listen sockets are kept there too ("sock/<app>/<n>"), for a pmd restarted after a crash.
    void set_fd_store(FdStore* store) { fd_store_ = store; }

    // Validates, creates and spawns every instance; throws Error. On an exec failure nothing
    // is left behind.
    // source: App::source.
    // stopped: the app is created with every instance stopped (a dump's desired state) and
    // nothing is spawned; `pmctl start NAME` starts it.
    const App& start(AppSpec spec, uid_t owner, std::string source = "request", bool stopped = false);
    // name may be "all".
    void stop(const std::string& name, Done done);
    void restart(const std::string& name, Done done);
    void remove(const std::string& name, Done done);
    void signal(const std::string& name, int signal);
    // Rolling: a replacement per slot (reload_batch at a time), ready before the old one stops;
    // with shared sockets every old instance stops only once all replacements are ready.
    // A replacement that fails to become ready stops the reload; the old instances keep serving.
    void reload(const std::string& name, Done done);
    // Live, both ways: new slots start now; removed slots stop gracefully.
    void scale(const std::string& name, uint32_t instances, Done done);
    // Replaces a running app's spec (daemon-reload of a changed file), keeping the app (its
    // object, owner, source, restart counts). Running: a rolling reload to the new spec, scaled
    // to its instance count, or a restart when a reload cannot apply it (god/spec_change.h);
    // stopped: the spec only. A reload that fails puts the previous spec back, rolls back the
    // slots already replaced, and answers the error: the app keeps running as it was.
    // Nothing changes when the new spec cannot launch (bad cwd, user, executable).
    void update_spec(const std::string& name, AppSpec spec, UpdateDone done);

    // Instances learn NOTIFY_SOCKET=path; messages from strangers are ignored. handed_fd: the
    // socket, still bound, from the pmd before a re-exec.
    void enable_notify(const std::string& path, int handed_fd = -1);
    // exec_mode = "cluster": instances get the preload library and PMD_CLUSTER_SOCKET=path,
    // where pmd's bind broker shares each app's sockets between its instances.
    void enable_cluster(const std::string& path);

    // Handover (god/handover.h). export_handover() gives every app with its fds (close-on-exec
    // cleared) for a re-exec; it throws Error(Busy) while an operation is in flight (a stop, a
    // reload, a delete), since a handover carries states, not operations. After it, this
    // Manager must not run again: the next step is execve.
    Handover export_handover();
    void check_handover_possible() const;
    // The app set without fds and processes, for the live file.
    Handover live_set() const;
    // Takes an app back: from a re-exec handover (pidfds and pipes included) or, after a crash,
    // from the live file (its processes are found in the instance cgroups). Running instances
    // keep running; wanted instances that are gone are restarted by the restart policy.
    void adopt(AppHandover handed, bool after_crash);
    // An sd_notify message from pid (kernel-checked credentials).
    void on_notify(pid_t sender, const std::map<std::string, std::string>& fields);
    // A cluster-mode instance (or a process of its cgroup) called listen(): without
    // wait_ready, that makes it ready (PM2's 'listening' event).
    void on_listening(pid_t sender);

    const App* find(const std::string& name) const;
    // Every child pmd reaps itself through a pidfd: instances' main processes and running
    // exec health checks. An orphan reaper must not wait for these.
    std::vector<pid_t> own_children() const;
    std::vector<const App*> apps() const;
    InstanceStats stats(const App& app, const Instance& instance);
    std::string stats_source() const;
    std::string cgroup_mode() const;
    std::string cgroup_root() const;
    // The tree pmd manages (null in process-group mode): what a report says of controllers.
    const CgroupTree* cgroup_tree() const { return scopes_->tree(); }
    // PM2's reset (manager_counters.cc): every instance's restart and unstable-restart counts
    // back to 0 (and the backoff with them), for one app or "all"; returns the apps reset.
    // Uptimes are the processes' own and stay.
    std::vector<std::string> reset_counters(const std::string& name_or_all);
    // The environment of an instance's main process (manager_environment.cc), "KEY=VALUE" in
    // its order. NoSuchApp, NoSuchInstance (index out of range), NotRunning (no process).
    std::vector<std::string> environment(const std::string& name, unsigned index) const;
    // Where instances' output goes; the bus reads log files and drop counts and asks for reopen/flush.
    OutputRouter& output() { return output_; }

private:
    App& get(const std::string& name);
    // The online instance pid belongs to (its cgroup, or without cgroup2 its process group).
    Instance* instance_of_pid(pid_t pid, App** app);
    BindBroker::Asker cluster_asker(pid_t pid);
    std::vector<std::string> names_for(const std::string& name_or_all) const;
    void for_each_app(const std::string& name_or_all, std::function<void(const std::string&, Done)> action, Done done);

    struct InstanceKey {
        uint64_t app_id;
        std::string app_name;
        uint64_t serial;
    };
    InstanceKey key_of(const App& app, const Instance& instance) const;
    // The app called `name` if it is still the one numbered `app_id`: an operation's callbacks
    // run later, and the app may have been deleted, or deleted and added again, meanwhile.
    enum class AppBeingDeleted { IsThere, IsGone };
    App* same_app(uint64_t app_id, const std::string& name, AppBeingDeleted deleting = AppBeingDeleted::IsThere);
    // nullptr when the app or the instance is gone; `app` is set when found.
    Instance* lookup(const InstanceKey& key, App** app = nullptr);
    // A message a Node app sent on its IPC channel (cluster/node_channel.h).
    void on_node_message(const InstanceKey& key, const std::string& message);

    std::unique_ptr<Instance> make_instance(const App& app, unsigned index, unsigned generation);
    void plan_launch(App& app);
    LaunchPlan plan_for(const AppSpec& spec) const;
    // update_spec's pieces (manager_spec_update.cc).
    void install_spec(App& app, AppSpec spec, LaunchPlan plan, uint64_t spec_serial);
    void resize_stopped(App& app);
    void reroute(App& app, const AppSpec& from);
    void replace_while_down(App& app, AppSpec spec, LaunchPlan plan);
    void restart_with(App& app, AppSpec spec, LaunchPlan plan, std::string why, UpdateDone done);
    void roll_to(App& app, AppSpec spec, LaunchPlan plan, UpdateDone done);
    void roll_back(uint64_t app_id, const std::string& name, AppSpec old_spec, LaunchPlan old_plan,
                   uint64_t old_serial, Error error, UpdateDone done);
    std::optional<FsIdentity> log_opener_for(uid_t owner) const;
    AppHandover snapshot(const App& app) const;
    void find_instance_processes(App& app, AppHandover& handed);
    void adopt_instance(App& app, const InstanceHandover& handed);
    void spawn_instance(App& app, Instance& instance);
    void on_main_exit(const InstanceKey& key);
    void when_empty(App& app, Instance& instance, std::function<void()> then);
    void on_instance_down(const InstanceKey& key);
    // A restart without delay is queued, not spawned inside the handler that saw the exit:
    // one cgroup.events read may report dozens of empty cgroups, and spawning each there
    // (clone blocks pmd until the child has exec'd) made one dispatch as long as the burst.
    // The queue is drained a few spawns per loop iteration, so the bus (dispatched first, see
    // EventPriority) waits for at most one batch.
    void queue_respawn(App& app, Instance& instance);
    void drain_respawns();
    // Spawns the next run of an instance waiting for it (a queued or a delayed restart).
    void respawn(const InstanceKey& key);
    void stop_instance(App& app, Instance& instance, std::function<void()> then);
    void stop_app(App& app, std::function<void()> then);
    // Calls `then` once `stop` has called back for every target.
    static void when_all(std::vector<Instance*> targets,
                         const std::function<void(Instance&, std::function<void()>)>& stop, std::function<void()> then);
    void start_instances(App& app, Done done);
    void remove_now(const std::string& name);
    void changed(const App& app);

    void arm_readiness(App& app, Instance& instance);
    void settle_readiness(App& app, Instance& instance, bool ready, const std::string& why);
    void arm_watchdog(App& app, Instance& instance);
    // Stop signal now, cgroup.kill after kill_timeout; what happens when it is down is up to
    // the caller (want_running, restart_now).
    void begin_stop(App& app, Instance& instance);

    // Restart triggers.
    void start_triggers(App& app);
    void arm_cron(App& app, uint64_t not_before_sec);
    // cron and watch: restart the app, or reload it when it has several instances or sockets.
    void trigger_app_restart(uint64_t app_id, const std::string& name, const std::string& reason,
                             const std::string& description);
    // memory and health: a graceful restart of one instance, respawned at once.
    void restart_instance_for(App& app, Instance& instance, const std::string& reason, const std::string& description);
    void guard_memory(App& app, Instance& instance);
    void check_health(App& app, Instance& instance);
    void on_unhealthy(const InstanceKey& key, const std::string& why);
    void reload_step(uint64_t app_id, const std::string& name, size_t next_slot, std::vector<uint64_t> standing, Done done);
    // Freezes the targets' processes and calls `then` once the kernel says all are frozen, or
    // after a bound for one that is not (a process in uninterruptible sleep), with the ones
    // asked to freeze: the caller thaws them. Without a freezer `then` runs at once.
    void freeze_then(App& app, const std::vector<Instance*>& targets,
                     std::function<void(std::vector<InstanceKey>)> then);
    void thaw(const std::vector<InstanceKey>& keys);
    std::vector<Instance*> old_instances_of(App& app, const std::vector<uint64_t>& replacements);
    void stop_retired(uint64_t app_id, const std::string& name, std::vector<uint64_t> replacements,
                      std::function<void()> then, Done done);
    void when_ready(uint64_t app_id, const std::string& name, const std::vector<uint64_t>& serials,
                    std::function<void(std::optional<std::string>)> then);
    void retire(uint64_t app_id, const std::string& name, std::vector<uint64_t> replacements, std::function<void()> then,
                Done done);
    void finish_reload(const std::string& name, uint64_t app_id, std::optional<Error> error, Done done);
    void abort_reload(uint64_t app_id, const std::string& name, std::vector<uint64_t> replacements, Error error, Done done);

    EventLoop& loop_;
    std::unique_ptr<ProcessScopes> scopes_;
    std::unique_ptr<Launcher> launcher_;
    OutputRouter& output_;
    ManagerObserver* observer_ = nullptr;
    std::function<void()> on_change_;
    FdStore* fd_store_ = nullptr;
    void store_sockets(const App& app, bool keep);
    std::unique_ptr<NotifySocket> notify_;
    std::unique_ptr<BindBroker> bind_broker_;
    std::map<std::string, std::unique_ptr<App>> apps_;
    std::deque<InstanceKey> respawns_;
    EventSource respawn_drain_;
    uint64_t next_app_id_ = 1;
    uint64_t next_serial_ = 1;
    uint64_t next_spec_serial_ = 1;
};

}  // namespace pmd
