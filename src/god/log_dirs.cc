#include "god/log_dirs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <spdlog/spdlog.h>

#include "base/error.h"
#include "satan/spawner.h"

namespace pmd {
namespace {

// The folders of `dir` that do not exist yet, outermost first.
std::vector<std::filesystem::path> missing_folders(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> missing;
    for (auto p = dir; !p.empty() && p != p.root_path(); p = p.parent_path()) {
        struct stat st;
        if (::lstat(p.c_str(), &st) == 0) break;
        missing.insert(missing.begin(), p);
    }
    return missing;
}

}  // namespace

void make_log_dirs(const AppSpec& spec, const std::optional<FsIdentity>& opener) {
    std::optional<Credentials> owner;
    const std::pair<const char*, const std::string*> paths[] = {
        {"out_file", &spec.out_file}, {"error_file", &spec.error_file}, {"pid_file", &spec.pid_file}};
    for (const auto& [field, path] : paths) {
        if (path->empty() || path->front() != '/' || *path == "/dev/null") continue;
        auto missing = missing_folders(std::filesystem::path(*path).parent_path());
        if (missing.empty()) continue;
        // A root request for an app of another user: the folders are that user's, so the app
        // can rotate and reopen its files there.
        if (!opener && geteuid() == 0 && !spec.user.empty() && !owner) owner = lookup_credentials(spec.user, spec.group);
        ScopedFsIdentity as_requester(opener);
        for (const auto& dir : missing) {
            if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
                throw Error(Error::Kind::Failed, std::string(field) + ": cannot create the folder " + dir.string() +
                                                     " for " + *path + ": " + std::strerror(errno));
            if (owner && ::lchown(dir.c_str(), owner->uid, owner->gid) != 0)
                spdlog::warn("app {}: folder {} stays root's: {}", spec.name, dir.string(), std::strerror(errno));
        }
        spdlog::info("app {}: created {} for {}", spec.name, missing.back().string(), field);
    }
}

}  // namespace pmd
