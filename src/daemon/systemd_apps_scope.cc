#include "daemon/systemd_apps_scope.h"

#include <fcntl.h>
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
#include <set>

#include "base/unique_fd.h"
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
// nothing, and it dies with the scope's cgroup.kill. It is not pmd's child (an intermediate
// child forks it and exits), so it is reaped by pmd's parent, systemd, whenever it ends:
// pmd reaps only the processes it tracks by pidfd, and a holder child would stay a zombie.
pid_t start_holder() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    UniqueFd in(fds[0]), out(fds[1]);
    pid_t middle = fork();
    if (middle < 0) return -1;
    if (middle == 0) {
        pid_t holder = fork();
        if (holder == 0) {
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, nullptr);
            syscall(SYS_close_range, 3U, ~0U, 0U);
            execl("/bin/sleep", "sleep", "infinity", static_cast<char*>(nullptr));
            for (;;) pause();
        }
        ssize_t n = write(out.get(), &holder, sizeof holder);
        _exit(n == sizeof holder ? 0 : 1);
    }
    out.reset();
    pid_t holder = -1;
    ssize_t n = read(in.get(), &holder, sizeof holder);
    waitpid(middle, nullptr, 0);
    return n == sizeof holder ? holder : -1;
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
    if (active == "failed") {
        // Its processes are gone (someone stopped or killed it): forget it and make it anew.
        sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                           "org.freedesktop.systemd1.Manager", "ResetFailedUnit", nullptr, nullptr, "s", unit.c_str());
        return "";
    }
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
                pid_t pid, BusError& err, std::string& job) {
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
    sd_bus_message* raw_reply = nullptr;
    r = sd_bus_call(bus, raw, 60'000'000, &err.e, &raw_reply);
    Message reply(raw_reply, sd_bus_message_unref);
    if (r < 0) return r;
    const char* path = nullptr;
    if ((r = sd_bus_message_read(raw_reply, "o", &path)) < 0) return r;
    job = path;
    return 0;
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
        kill(holder, SIGKILL);  // systemd reaps it
        why = std::move(text);
        return std::string();
    };
    // systemd says when the job that moves the holder in is done (the method reply comes when
    // it is queued): JobRemoved, matched before the call so that it cannot come unseen.
    std::set<std::string> done_jobs;  // "JOBPATH RESULT"
    sd_bus_slot* slot_raw = nullptr;
    r = sd_bus_match_signal(
        raw, &slot_raw, "org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
        "JobRemoved",
        [](sd_bus_message* m, void* data, sd_bus_error*) {
            uint32_t id = 0;
            const char *job = nullptr, *unit_name = nullptr, *result = nullptr;
            if (sd_bus_message_read(m, "uoss", &id, &job, &unit_name, &result) >= 0)
                static_cast<std::set<std::string>*>(data)->insert(std::string(job) + " " + result);
            return 0;
        },
        &done_jobs);
    std::unique_ptr<sd_bus_slot, decltype(&sd_bus_slot_unref)> slot(slot_raw, sd_bus_slot_unref);
    if (r < 0) return give_up("cannot watch systemd's jobs for " + unit + ": " + strerror(-r));
    BusError err;
    std::string parent = own.substr(0, own.rfind('/'));
    std::string slice = parent.substr(parent.rfind('/') + 1);
    if (!slice.ends_with(".slice")) slice.clear();
    std::string job;
    r = start_scope(raw, unit, slice, "apps of " + service, holder, err, job);
    if (r < 0) return give_up("systemd did not make " + unit + ": " + err.text(r));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::string result;
    while (result.empty()) {
        for (const auto& j : done_jobs)
            if (j.starts_with(job + " ")) result = j.substr(job.size() + 1);
        if (!result.empty()) break;
        auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return give_up("systemd made " + unit + " but its start job did not end within 60 s");
        r = sd_bus_process(raw, nullptr);
        if (r < 0) return give_up("lost systemd's bus while " + unit + " started: " + strerror(-r));
        if (r == 0) sd_bus_wait(raw, static_cast<uint64_t>(left.count()));
    }
    if (result != "done") return give_up("systemd's start job of " + unit + " ended with '" + result + "'");
    std::string cg = find_own_cgroup(read_all("/proc/" + std::to_string(holder) + "/cgroup"));
    if (!cg.ends_with("/" + unit)) return give_up("systemd started " + unit + " but the holder is in '" + cg + "'");
    // The holder leaves the scope's own cgroup, which gets controllers for its children.
    std::string leaf = mount + cg + "/holder";
    if ((mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) || !write_file(leaf + "/cgroup.procs", std::to_string(holder)))
        return give_up("cannot move the holder into " + leaf + ": " + strerror(errno));
    return cg;
}

}  // namespace pmd
