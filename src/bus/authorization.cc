#include "bus/authorization.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <vector>

#include "base/error.h"
#include "bus/polkit_check.h"
#include "config/listen_address.h"
#include "satan/spawner.h"

namespace pmd {
namespace {

AccessRules& rules_storage() {
    static AccessRules rules;
    return rules;
}

std::optional<std::string> user_name_of(uid_t uid) {
    std::vector<char> buf(16384);
    struct passwd pw, *pwp = nullptr;
    if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &pwp) != 0 || !pwp) return std::nullopt;
    return std::string(pw.pw_name);
}

std::string who(const Caller& caller) {
    auto name = user_name_of(caller.uid);
    return name ? "user '" + *name + "' (uid " + std::to_string(caller.uid) + ")" : "uid " + std::to_string(caller.uid);
}

std::string how_to_get_more(const AccessRules& rules) {
    std::string out = "root";
    if (!rules.admin_group.empty()) out += ", members of group '" + rules.admin_group + "'";
    if (rules.polkit) out += ", callers polkit allows org.pmd.God1.manage";
    return out;
}

}  // namespace

void configure_access(AccessRules rules) { rules_storage() = std::move(rules); }
const AccessRules& access_rules() { return rules_storage(); }

AccessRules make_access_rules(const std::string& admin_group, bool use_polkit) {
    AccessRules rules;
    rules.admin_group = admin_group;
    if (!admin_group.empty()) {
        std::vector<char> buf(16384);
        struct group gr, *grp = nullptr;
        if (getgrnam_r(admin_group.c_str(), &gr, buf.data(), buf.size(), &grp) == 0 && grp)
            rules.admin_gid = grp->gr_gid;
        else
            spdlog::warn("admin_group '{}' from pmd.toml is not in the group database; only root (and polkit) "
                         "may manage every app until it exists and pmd restarts",
                         admin_group);
    }
    if (use_polkit) rules.polkit = polkit_allows_manage;
    return rules;
}

bool uid_in_group(uid_t uid, gid_t gid) {
    std::vector<char> buf(16384);
    struct passwd pw, *pwp = nullptr;
    if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &pwp) != 0 || !pwp) return false;
    if (pw.pw_gid == gid) return true;
    int n = 64;
    std::vector<gid_t> groups(static_cast<size_t>(n));
    if (getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &n) < 0) {
        groups.resize(static_cast<size_t>(n));
        if (getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &n) < 0) return false;
    }
    groups.resize(static_cast<size_t>(n));
    return std::find(groups.begin(), groups.end(), gid) != groups.end();
}

uid_t app_run_uid(const App& app) { return app.plan.credentials ? app.plan.credentials->uid : geteuid(); }

bool may_manage_every_app(const Caller& caller, const AccessRules& rules) {
    if (caller.uid == 0) return true;
    // pmd on a user's own bus (pmd --user) belongs to that user.
    if (geteuid() != 0 && caller.uid == geteuid()) return true;
    if (rules.admin_gid && uid_in_group(caller.uid, *rules.admin_gid)) return true;
    // Last, because it is a bus round trip to polkitd.
    return rules.polkit && rules.polkit(caller);
}

bool may_manage_app(const Caller& caller, const App& app, const AccessRules& rules) {
    uid_t runs_as = app_run_uid(app);
    if (runs_as != 0 && runs_as == caller.uid) return true;
    return may_manage_every_app(caller, rules);
}

bool may_read_app_secrets(const Caller& caller, const App& app, const AccessRules& rules) {
    AccessRules without_polkit = rules;
    without_polkit.polkit = nullptr;
    return may_manage_app(caller, app, without_polkit);
}

AppSpec redacted_spec(const AppSpec& spec) {
    constexpr const char* hidden = "(hidden)";
    AppSpec out = spec;
    for (auto& [key, value] : out.env) value = hidden;
    for (size_t i = 1; i < out.command.size(); ++i) out.command[i] = hidden;
    for (size_t i = 1; i < out.health_check.command.size(); ++i) out.health_check.command[i] = hidden;
    return out;
}

void authorize_app(const Caller& caller, const App& app, const char* action) {
    const AccessRules& rules = access_rules();
    if (may_manage_app(caller, app, rules)) return;
    throw Error(Error::Kind::AccessDenied, who(caller) + " may not " + action + " '" + app.spec.name +
                                               "': it runs as '" + app.plan.user_name +
                                               "'; a user manages only the apps that run as that user (" +
                                               how_to_get_more(rules) + " manage every app)");
}

std::string unprivileged_request_problem(uid_t caller, const AppSpec& spec) {
    // pmd opens log files and binds sockets itself, as root: a path or port the caller could not
    // use on their own would be a way around file permissions and privileged ports.
    auto owned_by_caller = [&](const std::string& path) {
        struct stat st;
        if (lstat(path.c_str(), &st) == 0) return S_ISREG(st.st_mode) && st.st_uid == caller;
        std::string parent = std::filesystem::path(path).parent_path().string();
        return !parent.empty() && lstat(parent.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == caller;
    };
    for (const std::string* file : {&spec.out_file, &spec.error_file}) {
        if (file->empty() || *file == "/dev/null") continue;
        std::string path = *file;
        if (path.front() != '/') path = (spec.cwd.empty() ? std::string("/") : spec.cwd) + "/" + path;
        if (!owned_by_caller(path))
            return "log file " + *file + " is not yours (an existing regular file you own, or a new file in a "
                   "directory you own)";
    }
    for (const auto& listen : spec.listen) {
        std::string why;
        auto parsed = parse_listen_address(listen.address, &why);
        if (!parsed) continue;  // validate_spec reports it
        if (parsed->family == ParsedListenAddress::Family::Unix) {
            if (parsed->path.starts_with("@")) continue;
            if (!owned_by_caller(parsed->path))
                return "listen socket " + parsed->path + " is not in a directory you own";
        } else if (parsed->port != 0 && parsed->port < 1024) {
            return "listen port " + std::to_string(parsed->port) + " is privileged (below 1024)";
        }
    }
    return "";
}

void authorize_start(const Caller& caller, AppSpec& spec) {
    const AccessRules& rules = access_rules();
    if (caller.uid != 0 && caller.uid != geteuid()) {
        if (auto problem = unprivileged_request_problem(caller.uid, spec); !problem.empty()) {
            if (!may_manage_every_app(caller, rules))
                throw Error(Error::Kind::AccessDenied, who(caller) + " may not start '" + spec.name + "': " + problem +
                                                           " (" + how_to_get_more(rules) + " may)");
        }
    }
    bool wants_other_identity = false;
    if (!spec.user.empty()) {
        Credentials wanted = lookup_credentials(spec.user, "");
        wants_other_identity = wanted.uid != caller.uid;
    }
    if (!spec.group.empty()) {
        Credentials wanted = lookup_credentials(spec.user.empty() ? std::to_string(caller.uid) : spec.user, spec.group);
        wants_other_identity = wants_other_identity || !uid_in_group(caller.uid, wanted.gid);
    }
    // An app without a user runs as pmd's user (root on the system bus): only for managers.
    bool would_run_as_pmd = spec.user.empty() && caller.uid != geteuid();
    if (!wants_other_identity && !would_run_as_pmd) return;
    if (may_manage_every_app(caller, rules)) return;
    if (wants_other_identity)
        throw Error(Error::Kind::AccessDenied,
                    who(caller) + " may not start '" + spec.name + "' as user '" + spec.user +
                        (spec.group.empty() ? std::string() : "' group '" + spec.group) +
                        "': a user starts apps only as themselves (leave user/uid out, or set it to your own; " +
                        how_to_get_more(rules) + " may start apps as anyone)");
    // Pin the app to the caller, so it runs with the caller's rights, not pmd's.
    auto name = user_name_of(caller.uid);
    spec.user = name ? *name : std::to_string(caller.uid);
}

}  // namespace pmd
