// DeclaredApps: the apps pmd runs because a file says so. apps_dir (/etc/pmd.d) at boot and on
// daemon-reload, app files given to StartFile (pmctl start apps.toml), and the dump that save
// writes and resurrect reads. The Manager runs apps; this decides which, from files, and tags
// each with its origin (App::source) so daemon-reload never touches an app started by hand.
//
// Rules (docs/config-reference.md):
//   boot         apps of every good file of apps_dir start; a bad file is logged with its
//                positions and its apps are not started (nothing runs yet that it could
//                change); then, with resurrect = true, the dump's apps not already running.
//   daemon-reload  all or nothing: any bad file refuses the reload and nothing changes. Else
//                new apps start; changed ones get the new spec through Manager::update_spec
//                (a rolling reload where it can, else a restart that says why; a stopped app
//                only gets the spec); apps of apps_dir files that no longer declare them are
//                deleted. A changed app whose update failed keeps its previous spec here too,
//                so the next daemon-reload tries again. Apps from elsewhere ("request", "dump",
//                files outside apps_dir) are never touched; a file declaring the name of such
//                an app is skipped and reported.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "spec/app_spec.h"
#include "god/manager.h"

namespace pmd {

struct DeclaredAppsSettings {
    std::filesystem::path apps_dir;   // pmd.toml apps_dir
    std::filesystem::path dump_path;  // <state-dir>/dump.toml
    AppSpec defaults;                 // pmd.toml [defaults]
    bool resurrect_at_boot = true;    // pmd.toml resurrect
};

struct ReloadSummary {
    std::vector<std::string> added, changed, removed, unchanged;
    // How each changed app got its new spec (every name of `changed` is in one of them):
    std::vector<std::string> reloaded;   // rolled, listen sockets kept open: no downtime
    std::vector<std::string> restarted;  // "name: why a reload could not apply the change"
    std::vector<std::string> updated;    // stopped apps: new spec, still stopped
    std::vector<std::string> skipped;  // "name: why", e.g. the name belongs to a hand-started app
    std::vector<std::string> errors;   // "name: what failed"
};

class DeclaredApps {
public:
    DeclaredApps(Manager& manager, DeclaredAppsSettings settings);

    // At start, before READY=1. Never throws: problems are logged.
    void boot();

    // Reads an app file with [defaults] and env_<profile>, keeps the apps named in `only` (all if
    // empty), and validates everything before anything starts: a bad file, an --only name the
    // file does not define, an invalid spec or a name already running throws, starting nothing.
    std::vector<AppSpec> read_file(const std::filesystem::path& path, const std::string& profile,
                                   const std::vector<std::string>& only) const;
    // Starts what read_file gave, with App::source "file:<path>". If one fails, the ones started
    // before it are deleted again and the error is thrown.
    std::vector<std::string> start_file_apps(std::vector<AppSpec> specs, const std::filesystem::path& path, uid_t owner);

    // Writes every app's spec to the dump atomically (mode 0600: env holds secrets); returns its path.
    std::filesystem::path save() const;
    // Starts the dump's apps that are not running (by name); returns their names. Throws
    // Error(Failed) listing the apps that could not start (the others stay started).
    std::vector<std::string> resurrect(uid_t owner);

    // Re-reads apps_dir and applies the difference; done runs once everything has settled.
    using ReloadDone = std::function<void(std::optional<Error>, ReloadSummary)>;
    void reload(ReloadDone done);

    const DeclaredAppsSettings& settings() const { return settings_; }

private:
    bool from_apps_dir(const App& app) const;

    Manager& manager_;
    DeclaredAppsSettings settings_;
    // Each file-started app's spec as its file gave it: daemon-reload compares files with files,
    // not with what the Manager filled in (cwd "/" and the like).
    std::map<std::string, AppSpec> declared_;
};

}  // namespace pmd
