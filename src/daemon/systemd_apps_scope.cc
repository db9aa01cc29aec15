#include "daemon/systemd_apps_scope.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "cgroup/cgroup_tree.h"

namespace pmd {
namespace {

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool write_file(const std::string& path, const std::string& value) {
    std::ofstream out(path);
    out << value;
    out.flush();
    return static_cast<bool>(out);
}

using Bus = std::unique_ptr<sd_bus, decltype(&sd_bus_flush_close_unref)>;
using Message = std::unique_ptr<sd_bus_message, decltype(&sd_bus_message_unref)>;

struct BusError {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    ~BusError() { sd_bus_error_free(&e); }
    std::string text(int r) const { return e.message ? e.message : std::string(strerror(-r)); }
};

// A process that only exists to keep the scope alive: all it inherits is closed, it ignores
// nothing, and it dies with the scope's cgroup.kill.
pid_t start_holder() {
    pid_t pid = fork();
    if (pid != 0) return pid;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    syscall(SYS_close_range, 3U, ~0U, 0U);
    execl("/bin/sleep", "sleep", "infinity", static_cast<char*>(nullptr));
    for (;;) pause();
}

std::string unit_control_group(sd_bus* bus, const std::string& unit, std::string& why) {
    BusError err;
    sd_bus_message* raw = nullptr;
    int r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "GetUnit", &err.e, &raw, "s", unit.c_str());
    Message reply(raw, sd_bus_message_unref);
    if (r < 0) return "";
    const char* path = nullptr;
    if (sd_bus_message_read(raw, "o", &path) < 0) return "";
    char* state = nullptr;
    if (sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Unit",
                                   "ActiveState", &err.e, &state) < 0)
        return "";
    std::string active = state;
    free(state);
    if (active != "active") {
        why = unit + " is " + active;
        return "";
    }
    char* cg = nullptr;
    r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Scope",
                                   "ControlGroup", &err.e, &cg);
    if (r < 0) {
        why = "cannot read the cgroup of " + unit + ": " + err.text(r);
        return "";
    }
    std::string out = cg;
    free(cg);
    return out;
}

int start_scope(sd_bus* bus, const std::string& unit, const std::string& slice, const std::string& description,
                pid_t pid, BusError& err) {
    sd_bus_message* raw = nullptr;
    int r = sd_bus_message_new_method_call(bus, &raw, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager", "StartTransientUnit");
    Message call(raw, sd_bus_message_unref);
    if (r < 0) return r;
    if ((r = sd_bus_message_append(raw, "ss", unit.c_str(), "fail")) < 0) return r;
    if ((r = sd_bus_message_open_container(raw, 'a', "(sv)")) < 0) return r;
    if ((r = sd_bus_message_append(raw, "(sv)", "Description", "s", description.c_str())) < 0) return r;
    if ((r = sd_bus_message_append(raw, "(sv)", "PIDs", "au", 1, static_cast<uint32_t>(pid))) < 0) return r;
    if ((r = sd_bus_message_append(raw, "(sv)", "Delegate", "b", 1)) < 0) return r;
    // Beside pmd's unit, where its ExecStopPost finds the scope.
    if (!slice.empty() && (r = sd_bus_message_append(raw, "(sv)", "Slice", "s", slice.c_str())) < 0) return r;
    // pmd stops its apps itself, with each app's stop signal and kill_timeout.
    if ((r = sd_bus_message_append(raw, "(sv)", "TimeoutStopUSec", "t", uint64_t{90'000'000})) < 0) return r;
    if ((r = sd_bus_message_close_container(raw)) < 0) return r;
    if ((r = sd_bus_message_append(raw, "a(sa(sv))", 0)) < 0) return r;
    sd_bus_message* reply = nullptr;
    r = sd_bus_call(bus, raw, 60'000'000, &err.e, &reply);
    sd_bus_message_unref(reply);
    return r;
}

}  // namespace

std::string systemd_apps_scope(bool user_bus, std::string& why) {
    why.clear();
    if (!getenv("INVOCATION_ID")) return "";
    std::string mount = find_cgroup2_mount(read_all("/proc/self/mountinfo"));
    std::string own = find_own_cgroup(read_all("/proc/self/cgroup"));
    if (mount.empty() || !own.ends_with(".service")) return "";
    std::istringstream available(read_all(mount + own + "/cgroup.controllers"));
    bool controllers = false;
    for (std::string c; available >> c;) controllers |= c == "memory" || c == "cpu" || c == "pids" || c == "io";
    if (!controllers) return "";  // no subtree_control needed: apps under the unit's own cgroup

    std::string service = own.substr(own.rfind('/') + 1);
    std::string unit = service.substr(0, service.size() - 8) + "-apps.scope";
    sd_bus* raw = nullptr;
    int r = user_bus ? sd_bus_open_user(&raw) : sd_bus_open_system(&raw);
    Bus bus(raw, sd_bus_flush_close_unref);
    if (r < 0) {
        why = std::string("cannot reach systemd's bus for ") + unit + ": " + strerror(-r);
        return "";
    }
    // After a crash of pmd (or a re-exec) the scope is there, apps and holder in it.
    if (std::string cg = unit_control_group(raw, unit, why); !cg.empty()) return cg;
    if (!why.empty()) return "";

    pid_t holder = start_holder();
    if (holder < 0) {
        why = std::string("cannot start the holder of ") + unit + ": " + strerror(errno);
        return "";
    }
    auto give_up = [&](std::string text) {
        kill(holder, SIGKILL);
        waitpid(holder, nullptr, 0);
        why = std::move(text);
        return std::string();
    };
    BusError err;
    std::string parent = own.substr(0, own.rfind('/'));
    std::string slice = parent.substr(parent.rfind('/') + 1);
    if (!slice.ends_with(".slice")) slice.clear();
    r = start_scope(raw, unit, slice, "apps of " + service, holder, err);
    if (r < 0) return give_up("systemd did not make " + unit + ": " + err.text(r));
    // The job moves the holder in; wait for that (the reply comes when the job is queued).
    std::string cg;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (true) {
        std::string now = find_own_cgroup(read_all("/proc/" + std::to_string(holder) + "/cgroup"));
        if (now.ends_with("/" + unit)) {
            cg = now;
            break;
        }
        if (std::chrono::steady_clock::now() > deadline)
            return give_up("systemd made " + unit + " but did not move its holder in");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    // The holder leaves the scope's own cgroup, which gets controllers for its children.
    std::string leaf = mount + cg + "/holder";
    if ((mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) || !write_file(leaf + "/cgroup.procs", std::to_string(holder)))
        return give_up("cannot move the holder into " + leaf + ": " + strerror(errno));
    return cg;
}

}  // namespace pmd
