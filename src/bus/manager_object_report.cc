// ManagerObject's ResetCounters (pmctl reset) and Report (pmctl report): a bug report's facts
// about this daemon and its host, so that whoever reads the report need not ask for them.
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <linux/magic.h>

#include "bus/authorization.h"
#include "bus/bus_errors.h"
#include "bus/caller.h"
#include "bus/manager_object.h"
#include "cgroup/cgroup_tree.h"

#ifndef PMD_LIBSYSTEMD_VERSION
#error "PMD_LIBSYSTEMD_VERSION is set by src/bus/CMakeLists.txt"
#endif

namespace pmd {
namespace {

std::string first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

std::vector<std::string> words(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

bool is_fs(const char* path, long magic) {
    struct statfs st {};
    return statfs(path, &st) == 0 && static_cast<long>(st.f_type) == magic;
}

// How the host mounts cgroups, as systemd names it: cgroup2 alone at /sys/fs/cgroup
// ("unified"), v1 hierarchies with cgroup2 at /sys/fs/cgroup/unified ("hybrid"), v1 only.
std::string cgroup_layout() {
    if (is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC)) return "unified";
    if (is_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC)) return "hybrid";
    if (is_fs("/sys/fs/cgroup", TMPFS_MAGIC)) return "legacy";
    return "none";
}

std::string kernel() {
    struct utsname u {};
    if (uname(&u) != 0) return "unknown";
    return std::string(u.sysname) + " " + u.release + " " + u.version + " " + u.machine;
}

}  // namespace

std::vector<std::string> ManagerObject::ResetCounters(const std::string& name) {
    return guarded([&] {
        require_app_manager(getObject(), manager_, name, "reset the counters of");
        return manager_.reset_counters(name);
    });
}

std::map<std::string, sdbus::Variant> ManagerObject::Report() {
    return guarded([&] {
        std::map<std::string, sdbus::Variant> d;
        d["version"] = sdbus::Variant(std::string(PMD_VERSION));
        d["pid"] = sdbus::Variant(static_cast<int32_t>(getpid()));
        d["uid"] = sdbus::Variant(static_cast<uint32_t>(geteuid()));
        d["kernel"] = sdbus::Variant(kernel());
        d["libsystemd"] = sdbus::Variant(std::string(PMD_LIBSYSTEMD_VERSION));
        d["pid1"] = sdbus::Variant(first_line("/proc/1/comm"));
        d["cgroup_mode"] = sdbus::Variant(manager_.cgroup_mode());
        d["cgroup_layout"] = sdbus::Variant(cgroup_layout());
        std::string mount, root;
        std::vector<std::string> available, delegated, enabled;
        if (const CgroupTree* tree = manager_.cgroup_tree()) {
            mount = tree->mount();
            root = tree->root();
            available = words(first_line(mount + "/cgroup.controllers"));
            delegated = words(first_line(mount + root + "/cgroup.controllers"));
            enabled = tree->controllers();
        }
        d["cgroup_mount"] = sdbus::Variant(mount);
        d["cgroup_root"] = sdbus::Variant(root);
        d["cgroup_available"] = sdbus::Variant(available);
        d["cgroup_delegated"] = sdbus::Variant(delegated);
        d["cgroup_enabled"] = sdbus::Variant(enabled);
        d["config_path"] = sdbus::Variant(report_sources_.config_path);
        d["config"] = sdbus::Variant(report_sources_.config_text);
        d["bus"] = sdbus::Variant(report_sources_.bus);
        // pmd's log names apps, users and paths of every app: only for who may see them all.
        if (may_manage_every_app(current_caller(getObject()))) {
            std::vector<std::string> lines;
            if (report_sources_.recent_log)
                for (auto line : report_sources_.recent_log()) {
                    while (!line.empty() && line.back() == '\n') line.pop_back();
                    lines.push_back(std::move(line));
                }
            d["recent_log"] = sdbus::Variant(lines);
        }
        return d;
    });
}

}  // namespace pmd
