// ManagerObject's methods for apps from files: StartFile, Save, Resurrect, DaemonReload;
// and Reexecute, the daemon's own replacement. The
// work is DeclaredApps' (god/declared_apps.h); this checks who asks and translates.
#include <sys/stat.h>

#include <sdbus-c++/sdbus-c++.h>

#include "bus/app_object.h"
#include "bus/authorization.h"
#include "bus/bus_errors.h"
#include "bus/caller.h"
#include "bus/manager_object.h"

namespace pmd {
namespace {

// pmd runs as root and reads the file for the caller: a caller who may not manage every app
// gets only files they could read themselves without pmd (their own, or readable by anyone),
// so error messages quoting lines cannot leak someone else's file.
void check_caller_may_read(const Caller& caller, const std::string& path) {
    if (may_manage_every_app(caller)) return;
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return;  // load_app_file says what is wrong with it
    if (st.st_uid == caller.uid || (st.st_mode & S_IROTH)) return;
    throw Error(Error::Kind::AccessDenied, "uid " + std::to_string(caller.uid) + " may not have pmd read " + path +
                                               ": it is neither theirs nor readable by everyone");
}

std::map<std::string, sdbus::Variant> summary_dict(const ReloadSummary& s) {
    return {{"added", sdbus::Variant(s.added)},         {"changed", sdbus::Variant(s.changed)},
            {"removed", sdbus::Variant(s.removed)},     {"unchanged", sdbus::Variant(s.unchanged)},
            {"skipped", sdbus::Variant(s.skipped)},     {"errors", sdbus::Variant(s.errors)},
            {"reloaded", sdbus::Variant(s.reloaded)},   {"restarted", sdbus::Variant(s.restarted)},
            {"updated", sdbus::Variant(s.updated)}};
}

}  // namespace

DeclaredApps& ManagerObject::declared() {
    if (!declared_) throw Error(Error::Kind::Failed, "this pmd does not manage apps from files");
    return *declared_;
}

std::vector<sdbus::ObjectPath> ManagerObject::StartFile(const std::string& path, const std::string& profile,
                                                        const std::vector<std::string>& only) {
    return guarded([&] {
        if (!std::filesystem::path(path).is_absolute())
            throw Error(Error::Kind::InvalidSpec, "StartFile: '" + path + "' is not an absolute path (pmd has no current directory of yours)");
        Caller caller = current_caller(getObject());
        check_caller_may_read(caller, path);
        std::vector<AppSpec> specs = declared().read_file(path, profile, only);
        for (auto& spec : specs) require_start(getObject(), spec);
        std::vector<sdbus::ObjectPath> out;
        for (const auto& name : declared().start_file_apps(std::move(specs), path, caller.uid))
            out.emplace_back(app_object_path(name));
        return out;
    });
}

void ManagerObject::Reexecute() {
    guarded([&] {
        require_manager(getObject(), "re-execute pmd");
        if (!reexec_) throw Error(Error::Kind::Failed, "this pmd cannot re-execute itself (pmd run mode)");
        reexec_();
    });
}

std::string ManagerObject::Save() {
    return guarded([&] {
        require_manager(getObject(), "save the app list");
        return declared().save().string();
    });
}

std::vector<std::string> ManagerObject::Resurrect() {
    return guarded([&] {
        Caller caller = require_manager(getObject(), "resurrect saved apps");
        return declared().resurrect(caller.uid);
    });
}

void ManagerObject::DaemonReload(sdbus::Result<std::map<std::string, sdbus::Variant>>&& result) {
    try {
        guarded([&] {
            require_manager(getObject(), "reload apps_dir");
            declared();
        });
    } catch (const sdbus::Error& e) {
        result.returnError(e);
        return;
    }
    // std::function wants a copyable callable; the Result is move-only.
    auto shared = std::make_shared<sdbus::Result<std::map<std::string, sdbus::Variant>>>(std::move(result));
    declared_->reload([shared](std::optional<Error> error, ReloadSummary summary) {
        send_quietly("DaemonReload's reply", [&] {
            if (error) shared->returnError(to_bus_error(*error));
            else shared->returnResults(summary_dict(summary));
        });
    });
}

}  // namespace pmd
