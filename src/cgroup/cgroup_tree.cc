#include "cgroup/cgroup_tree.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "base/error.h"

namespace pmd {
namespace {

std::string read_all(const char* path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Mount points in mountinfo escape space, tab, newline and backslash as octal.
std::string unescape_octal(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string parent_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string join(const std::string& dir, const std::string& name) {
    return dir == "/" ? "/" + name : dir + "/" + name;
}

std::vector<std::string> list_dirs(const std::string& path) {
    std::vector<std::string> out;
    DIR* d = opendir(path.c_str());
    if (!d) return out;
    while (auto* e = readdir(d))
        if (e->d_type == DT_DIR && e->d_name[0] != '.') out.emplace_back(e->d_name);
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

std::string find_cgroup2_mount(const std::string& mountinfo) {
    std::istringstream in(mountinfo);
    std::string line;
    while (std::getline(in, line)) {
        // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER"
        auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        std::istringstream tail(line.substr(dash + 3));
        std::string fstype;
        tail >> fstype;
        if (fstype != "cgroup2") continue;
        std::istringstream head(line.substr(0, dash));
        std::string id, parent, dev, root, mountpoint;
        head >> id >> parent >> dev >> root >> mountpoint;
        return unescape_octal(mountpoint);
    }
    return "";
}

std::string find_own_cgroup(const std::string& proc_self_cgroup) {
    std::istringstream in(proc_self_cgroup);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("0::", 0) == 0) return line.substr(3);
    return "";
}

std::unique_ptr<CgroupTree> CgroupTree::setup(const Options& options, std::string& why) {
    std::string mount = find_cgroup2_mount(read_all("/proc/self/mountinfo"));
    if (mount.empty()) {
        why = "no cgroup2 file system is mounted";
        return nullptr;
    }
    std::string own = find_own_cgroup(read_all("/proc/self/cgroup"));
    if (own.empty()) {
        why = "/proc/self/cgroup has no cgroup2 entry";
        return nullptr;
    }
    // A cgroup namespace root shows as "/"; deleted cgroups as "... (deleted)".
    std::string root;
    if (!options.root_override.empty()) root = options.root_override;
    else if (own.size() > 11 && own.ends_with("/supervisor")) root = parent_of(own);
    else if (!options.apps_scope.empty()) root = options.apps_scope;
    else if (own == "/") root = "/pmd.slice/" + options.key;
    else root = own;

    auto tree = std::unique_ptr<CgroupTree>(new CgroupTree());
    tree->mount_ = mount;
    tree->root_ = root;
    tree->origin_ = own;
    try {
        if (root.starts_with("/pmd.slice/")) CgroupDir::create(mount, "/pmd.slice");
        CgroupDir root_dir = CgroupDir::create(mount, root);
        if (root != options.apps_scope) {
            CgroupDir supervisor = CgroupDir::create(mount, join(root, "supervisor"));
            if (own != supervisor.relative() &&
                !supervisor.write_file("cgroup.procs", std::to_string(getpid()))) {
                why = "cannot move pmd into " + supervisor.path() + " (is " + root +
                      " delegated to pmd? under systemd set Delegate=yes)";
                return nullptr;
            }
        }
        // Enable what the parent offers, down to the app level. Missing controllers are
        // normal on hybrid hosts (memory, cpu and pids still live in cgroup v1 there).
        std::istringstream available(root_dir.read_file("cgroup.controllers").value_or(""));
        std::string c;
        while (available >> c)
            if (c == "memory" || c == "cpu" || c == "io" || c == "pids") tree->controllers_.push_back(c);
        tree->enable_controllers(root_dir);
        tree->apps_ = CgroupDir::create(mount, join(root, "apps"));
        tree->enable_controllers(tree->apps_);
    } catch (const Error& e) {
        why = e.what();
        return nullptr;
    }
    return tree;
}

void CgroupTree::enable_controllers(const CgroupDir& dir) const {
    for (const auto& c : controllers_) dir.write_file("cgroup.subtree_control", "+" + c);
}

bool CgroupTree::has_controller(const std::string& name) const {
    return std::find(controllers_.begin(), controllers_.end(), name) != controllers_.end();
}

std::string CgroupTree::mode_name() const {
    return has_controller("memory") ? "cgroup2" : "cgroup2-no-controllers";
}

namespace {

std::string instance_dir_name(unsigned index, unsigned generation) {
    std::string name = std::to_string(index);
    if (generation > 0) name += "." + std::to_string(generation);
    return name;
}

}  // namespace

std::string CgroupTree::app_relative(const std::string& app) const {
    return join(apps_.relative(), app + ".app");
}

std::string CgroupTree::instance_relative(const std::string& app, unsigned index, unsigned generation) const {
    return join(app_relative(app), instance_dir_name(index, generation));
}

CgroupDir CgroupTree::make_app_dir(const std::string& app) const {
    CgroupDir dir = CgroupDir::create(mount_, app_relative(app));
    enable_controllers(dir);
    return dir;
}

CgroupDir CgroupTree::make_instance_dir(const CgroupDir& app_dir, unsigned index, unsigned generation) const {
    return CgroupDir::create(mount_, join(app_dir.relative(), instance_dir_name(index, generation)));
}

namespace {

// Deepest first; a cgroup with processes or children refuses rmdir and stays.
bool remove_empty_tree(const std::string& path) {
    bool all = true;
    for (const auto& child : list_dirs(path)) all &= remove_empty_tree(path + "/" + child);
    return ::rmdir(path.c_str()) == 0 && all;
}

}  // namespace

bool CgroupTree::remove_subtree() {
    bool origin_inside = origin_ == root_ || origin_.starts_with(root_ + "/") || root_ == "/";
    if (origin_inside) return false;
    auto origin = CgroupDir::open(mount_, origin_);
    if (!origin || !origin->write_file("cgroup.procs", std::to_string(getpid()))) return false;
    apps_ = CgroupDir();
    return remove_empty_tree(mount_ + root_);
}

std::vector<std::string> CgroupTree::leftover_instances(const std::set<std::string>& taken_back) const {
    std::vector<std::string> out;
    for (const auto& app : list_dirs(apps_.path()))
        for (const auto& inst : list_dirs(apps_.path() + "/" + app)) {
            auto dir = CgroupDir::open(mount_, apps_.relative() + "/" + app + "/" + inst);
            if (dir && dir->populated() && !taken_back.contains(dir->relative())) out.push_back(dir->relative());
        }
    return out;
}

}  // namespace pmd
