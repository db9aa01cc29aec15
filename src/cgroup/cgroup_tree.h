// CgroupTree: the cgroup2 subtree pmd manages.
//
//   <root>/supervisor/          pmd itself (cgroup2's no-internal-process rule forbids
//                               processes in <root> once it has controllers enabled below)
//   <root>/apps/<app>.app/<n>/  one cgroup per instance (<n>.<generation> after a reload)
//
// <root> is, in order: the --cgroup option; the parent of our own cgroup when we already
// sit in a "supervisor" leaf (restarted or re-executed pmd); our own cgroup when it was
// delegated to us (systemd Delegate=yes: /system.slice/pmd.service); or, when we run in the
// root cgroup of a machine without systemd, /pmd.slice/<key> with a key derived from the
// state directory, so several daemons on one machine never share a subtree. Under systemd
// with controllers delegated, <root> is instead a scope unit of its own beside pmd's unit
// (Options::apps_scope), and pmd stays in its unit's cgroup: see docs/architecture.md.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cgroup/cgroup_dir.h"

namespace pmd {

class CgroupTree {
public:
    struct Options {
        std::string root_override;  // --cgroup
        std::string key;            // used under /pmd.slice when we run in the root cgroup
        // A cgroup systemd delegated to pmd for its apps (daemon/systemd_apps_scope.h): it
        // becomes <root>, and pmd stays in its unit's cgroup (no supervisor/).
        std::string apps_scope;
    };

    // nullptr when there is no usable cgroup2 (not mounted, or our cgroup is not writable);
    // `why` then says what was missing, for the start-up message.
    static std::unique_ptr<CgroupTree> setup(const Options& options, std::string& why);

    const std::string& mount() const { return mount_; }
    const std::string& root() const { return root_; }
    // Controllers enabled for apps ("memory", "cpu", "io", "pids"), possibly none.
    const std::vector<std::string>& controllers() const { return controllers_; }
    bool has_controller(const std::string& name) const;
    // "cgroup2" or "cgroup2-no-controllers".
    std::string mode_name() const;

    // <root>/apps/<app>.app, with the controllers enabled for its children.
    CgroupDir make_app_dir(const std::string& app) const;
    // "<index>" for an instance's first generation, "<index>.<generation>" for the replacements
    // a rolling reload starts beside the running one.
    CgroupDir make_instance_dir(const CgroupDir& app_dir, unsigned index, unsigned generation) const;

    // Relative paths of <root>/apps/<app>.app and of an instance's cgroup in it.
    std::string app_relative(const std::string& app) const;
    std::string instance_relative(const std::string& app, unsigned index, unsigned generation) const;

    // Relative paths of instance cgroups left populated by an earlier daemon, but for those
    // this one took back (instance_relative() paths).
    std::vector<std::string> leftover_instances(const std::set<std::string>& taken_back) const;

    // pmd run, at its end: a subtree it made outside the cgroup it started in (under
    // /pmd.slice, or --cgroup) would stay behind empty. Moves pmd back where it started and
    // removes every empty cgroup of the subtree, deepest first. False when something stays
    // (a process still in it, or the subtree holds the cgroup pmd started in).
    bool remove_subtree();

private:
    void enable_controllers(const CgroupDir& dir) const;

    std::string mount_;
    std::string root_;
    std::string origin_;  // the cgroup pmd was in before setup moved it into supervisor/
    std::vector<std::string> controllers_;
    CgroupDir apps_;
};

// Parsing helpers, separate so they are unit-tested on sample text.
std::string find_cgroup2_mount(const std::string& mountinfo);
std::string find_own_cgroup(const std::string& proc_self_cgroup);

}  // namespace pmd
