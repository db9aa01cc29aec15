#include "god/app.h"

#include <algorithm>
#include <thread>

namespace pmd {

// PM2's "max" is decided when instances are started, so a dump restored on another machine
// follows that machine's CPU count.
uint32_t instance_count(uint32_t configured) {
    return configured ? configured : std::max(1u, std::thread::hardware_concurrency());
}

std::string state_name(InstanceState state) {
    switch (state) {
        case InstanceState::Online: return "online";
        case InstanceState::Stopping: return "stopping";
        case InstanceState::WaitingRestart: return "waiting-restart";
        case InstanceState::Stopped: return "stopped";
        case InstanceState::Errored: return "errored";
    }
    return "stopped";
}

// One word for the whole app, in order of what a person most needs to see: a transition in
// progress, then trouble, then the steady states.
std::string App::state() const {
    size_t online = 0, stopping = 0, waiting = 0, errored = 0;
    for (const auto& i : instances) {
        switch (i->state) {
            case InstanceState::Online: ++online; break;
            case InstanceState::Stopping: ++stopping; break;
            case InstanceState::WaitingRestart: ++waiting; break;
            case InstanceState::Errored: ++errored; break;
            case InstanceState::Stopped: break;
        }
    }
    if (deleting || stopping) return "stopping";
    if (operation == Operation::Reload) return "reloading";
    if (online == instances.size() && online > 0) return "online";
    if (waiting) return "launching";
    if (errored) return "errored";
    if (online) return "online";
    return "stopped";
}

std::string label(const App& app, const Instance& instance) {
    return app.spec.name + "[" + std::to_string(instance.index) + "]";
}

uint32_t App::restarts() const {
    uint32_t total = 0;
    for (const auto& i : instances) total += i->restarts;
    return total;
}

std::vector<Instance*> App::all_instances() const {
    std::vector<Instance*> out;
    for (const auto& i : instances) out.push_back(i.get());
    for (const auto& i : incoming) out.push_back(i.get());
    return out;
}

bool App::wanted_running() const {
    return std::any_of(instances.begin(), instances.end(), [](const auto& i) { return i->want_running; });
}

std::vector<pid_t> App::pids() const {
    std::vector<pid_t> out;
    for (const auto& i : instances)
        if (i->process) out.push_back(i->process.pid());
    return out;
}

}  // namespace pmd
