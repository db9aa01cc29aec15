// Manager::plan_for: everything a spawn of an app needs that can be checked before a process
// exists (cwd, user, executable, environment), so that a bad spec is an answer, not a crash loop.
#include "god/manager.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <tuple>

#include <spdlog/spdlog.h>

#include "base/quantity.h"
#include "base/signal_name.h"
#include "cluster/bind_protocol.h"
#include "cluster/elf_linking.h"
#include "cluster/preload_path.h"
#include "config/spec_validation.h"
#include "god/log_dirs.h"
#include "god/pid_file.h"
#include "satan/process_limits.h"


namespace pmd {
namespace {

// account: the passwd entry of the user the instances run as, or null to set no HOME/USER
// (a root daemon starting an app without `user` passes its own environment's choice: none).
std::vector<std::string> build_env(const AppSpec& spec, const Account* account) {
    std::map<std::string, std::string> env;
    env["PATH"] = kDefaultAppPath;
    if (account) {
        env["HOME"] = account->home;
        env["USER"] = account->name;
        env["LOGNAME"] = account->name;
        env["SHELL"] = account->shell;
    }
    env["PMD_APP"] = spec.name;
    for (const auto& [k, v] : spec.env) env[k] = v;
    std::vector<std::string> out;
    out.reserve(env.size());
    for (const auto& [k, v] : env) out.push_back(k + "=" + v);
    return out;
}

// PM2 gives its IPC channel to Node apps; pmd knows one by its executable's name (node,
// nodejs, /opt/node-20/bin/node: PM2's /node$/) or by a #! line naming node (npm, yarn,
// ./bin/www with `#!/usr/bin/env node`).
bool runs_node(const std::string& executable) {
    auto name = std::filesystem::path(executable).filename().string();
    if (name.ends_with("node") || name == "nodejs") return true;
    std::ifstream in(executable, std::ios::binary);
    char head[128] = {};
    in.read(head, sizeof head - 1);
    std::string_view text(head, static_cast<size_t>(in.gcount()));
    if (!text.starts_with("#!")) return false;
    text = text.substr(0, text.find('\n'));
    for (size_t at = text.find("node"); at != std::string_view::npos; at = text.find("node", at + 1)) {
        bool word_start = at == 0 || text[at - 1] == '/' || text[at - 1] == ' ';
        bool word_end = at + 4 == text.size() || text[at + 4] == ' ' || text[at + 4] == '\r';
        if (word_start && word_end) return true;
    }
    return false;
}

}  // namespace

// Everything that can be checked before a process exists is checked here, so the caller
// gets "no such file" or "unknown user" as an answer rather than as a crash loop.
void Manager::plan_launch(App& app) { app.plan = plan_for(app.spec); }

LaunchPlan Manager::plan_for(const AppSpec& s) const {
    LaunchPlan plan;
    struct stat st;
    if (stat(s.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw Error(Error::Kind::ExecFailed, "working directory " + s.cwd + " does not exist or is not a directory");
    // The passwd database is read once per start: the entry serves the credentials, the
    // displayed user name and HOME/USER/SHELL.
    std::optional<Account> account;
    if (!s.user.empty() || !s.group.empty()) {
        plan.credentials = lookup_credentials(s.user.empty() ? std::to_string(geteuid()) : s.user, s.group, &account);
        if (geteuid() != 0 && plan.credentials->uid != geteuid())
            throw Error(Error::Kind::AccessDenied, "pmd runs as uid " + std::to_string(geteuid()) +
                                                       " and cannot start processes as user '" + s.user + "'");
    } else {
        account = lookup_account(geteuid());
    }
    plan.user_name = s.user;
    if (plan.user_name.empty()) plan.user_name = account ? account->name : std::to_string(geteuid());
    bool set_home = plan.credentials || geteuid() != 0 || !s.user.empty();
    plan.base_env = build_env(s, set_home && account ? &*account : nullptr);
    plan.executable = resolve_executable(s.command.front(), s.cwd, plan.base_env);
    if (s.exec_mode == AppSpec::ExecMode::Cluster && elf_linking(plan.executable) == ElfLinking::Static)
        plan.warnings.push_back(
            "exec_mode = \"cluster\": " + plan.executable +
            " is statically linked (no ELF interpreter), so pmd's preload library cannot share the ports it binds and "
            "every instance after the first may fail with EADDRINUSE; give it its sockets instead: listen = "
            "[\"tcp:0.0.0.0:PORT\"] passes them as LISTEN_FDS from fd 3 (sd_listen_fds; Go: net.FileListener on "
            "os.NewFile(3, ...))");
    if (s.exec_mode == AppSpec::ExecMode::Cluster && access(cluster_preload_path().c_str(), R_OK) != 0)
        plan.warnings.push_back("exec_mode = \"cluster\": the preload library " + cluster_preload_path() +
                                " cannot be read, so the instances bind alone (is pmd fully installed?)");
    plan.node_channel = runs_node(plan.executable);
    return plan;
}

// Log paths a user chose are opened with that user's permissions, never root's.
std::optional<FsIdentity> Manager::log_opener_for(uid_t owner) const {
    if (owner == 0 || owner == geteuid()) return std::nullopt;
    Credentials c = lookup_credentials(std::to_string(owner), "");
    return FsIdentity{c.uid, c.gid, c.groups};
}

}  // namespace pmd
