// Handover: what one pmd passes to the next so that every worker lives on untouched.
//
// Two ways in:
// - re-exec (pmctl daemon-reexec, which systemctl reload pmd and a package upgrade run): the running pmd
//   writes the whole state, fds included (pidfds, listen sockets, log pipes with any partial
//   line, the notify socket), into a memfd, clears close-on-exec on those fds and execs the
//   binary again. The new pmd is the same process, so the workers stay its children.
// - crash recovery: the "live" file (the app set: specs, owners, sources; rewritten on every
//   change of the set, in the runtime dir, which a reboot clears) tells a freshly started pmd
//   which apps it had; their processes are found in the instance cgroups (apps/<app>.app/<n>)
//   and taken back by pidfd_open. Log pipes and listen sockets come back from systemd's fd
//   store when there is one (FDSTORE=1); without it, new ones are made.
//
// The format is JSON, private to pmd and versioned; specs travel as the dump's TOML text, so a
// newer pmd reads what an older one wrote as long as the dump format reads back.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "god/app.h"
#include "spec/app_spec.h"
#include "logs/log_handover.h"

namespace pmd {

struct InstanceHandover {
    unsigned index = 0;
    unsigned generation = 0;
    std::string state;  // state_name(): "online", "stopped", "errored", "waiting-restart"
    bool want_running = false;
    uint32_t restarts = 0;
    pid_t pid = 0;
    int pidfd = -1;             // -1 after a crash: opened from the pid by the adopter
    int channel_fd = -1;        // pmd's end of a Node app's IPC channel; none after a crash
    uint64_t started_usec = 0;  // CLOCK_MONOTONIC, as EventLoop::now_usec()
    uint64_t cpu_base_nsec = 0;  // Instance::cpu_base_nsec
    bool ready = false;
    std::string status_text;
    std::optional<ExitRecord> last_exit;
};

struct AppHandover {
    AppSpec spec;
    uid_t owner = 0;
    std::string source;
    bool stop_requested = false;  // App::stop_requested
    unsigned last_generation = 0;
    std::vector<int> socket_fds;  // in the order of spec.listen
    std::vector<int> shared_socket_fds;  // exec_mode = "cluster": the sockets instances bound
    std::vector<InstanceHandover> instances;
    std::vector<LogSlotHandover> log_slots;
};

struct Handover {
    std::vector<AppHandover> apps;
    int notify_fd = -1;
};

std::string handover_to_json(const Handover& handover);
// Throws Error(Failed) naming what is wrong; `origin` names the source in the message.
Handover handover_from_json(std::string_view text, const std::string& origin);

// Every fd the handover names, for clearing close-on-exec before the exec.
std::vector<int> handover_fds(const Handover& handover);

}  // namespace pmd
