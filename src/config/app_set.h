// The set of apps pmd should run from configuration: every file of apps_dir, and what changed
// since the last read (`pmctl daemon-reload`, resurrect at start).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "spec/app_spec.h"

namespace pmd {

// All apps of every *.toml in `dir`, in file-name order (so 10-db.toml starts before 20-web.toml).
// Dot-files are skipped: write_file_atomically() leaves its temporary files as dot-files. A
// missing directory is an empty set. Throws Error(InvalidSpec) listing the problems of every
// file, including one app name defined in two files.
std::vector<AppSpec> load_apps_dir(const std::filesystem::path& dir, const AppSpec& defaults = {});

// The same, keeping going past bad files: the apps of every good file with the file they come
// from (pmd's origin "file:<path>"), and the problems of the others. pmd at boot starts what is
// good; daemon-reload refuses the whole directory when `problems` is not empty.
struct DirApp {
    AppSpec spec;
    std::filesystem::path file;
};
struct AppsDirContent {
    std::vector<DirApp> apps;
    std::string problems;  // one line per problem, "file:line:column: ..."; empty when all is well
};
AppsDirContent read_apps_dir(const std::filesystem::path& dir, const AppSpec& defaults = {});

// What turns `current` into `wanted`, matching apps by name.
struct AppSetDiff {
    std::vector<AppSpec> added;        // in wanted only: start
    std::vector<AppSpec> changed;      // in both with a different spec: reload with the new spec
    std::vector<std::string> removed;  // in current only: stop and delete
    std::vector<std::string> unchanged;
    bool empty() const { return added.empty() && changed.empty() && removed.empty(); }
};

AppSetDiff diff_app_sets(const std::vector<AppSpec>& current, const std::vector<AppSpec>& wanted);

}  // namespace pmd
