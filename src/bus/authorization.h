// Who may do what on this pmd. Every decision starts from the caller's bus credentials (the
// uid the bus daemon vouches for), never from a method's arguments.
//
// The rules, in the order they are tried:
//   reading (ListApps, Ping, GetApp, most properties)   everyone
//   managing every app (start as anyone, stop anything)  root; members of admin_group (from
//                                                        /etc/pmd.toml, by the group database);
//                                                        callers polkit authorizes for
//                                                        org.pmd.God1.manage, when polkitd answers
//   managing one app                                     the above, or the uid the app runs as
//                                                        when that uid is not root (a user's own PM2)
//   starting an app as a user                            the above, or a non-root caller starting
//                                                        it as themselves (user/uid must equal the
//                                                        caller; no user means the caller)
//   reading an app's Spec (command, env: secrets)        whoever may manage that app; others get it
//                                                        with env values and arguments withheld
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

#include "bus/caller.h"
#include "god/app.h"
#include "spec/app_spec.h"

namespace pmd {

struct AccessRules {
    std::string admin_group;           // name from pmd.toml; empty = no admin group
    std::optional<gid_t> admin_gid;    // resolved at configuration; nullopt = unknown or none
    // Asks polkit about org.pmd.God1.manage; null = no polkit rule (tests, or no system bus).
    std::function<bool(const Caller&)> polkit;
};

// The process-wide rules. The daemon sets them once at start, before it takes requests; the
// bus objects read them (they are configuration of the daemon, not state of an object).
void configure_access(AccessRules rules);
const AccessRules& access_rules();

// Resolves admin_group against the group database (unknown group: logged, rule off) and, when
// use_polkit, installs the polkit check of polkit_check.h.
AccessRules make_access_rules(const std::string& admin_group, bool use_polkit);

// The uid an app's processes run as.
uid_t app_run_uid(const App& app);

bool may_manage_every_app(const Caller& caller, const AccessRules& rules = access_rules());
bool may_manage_app(const Caller& caller, const App& app, const AccessRules& rules = access_rules());

// Throw Error(AccessDenied) with a message naming the caller, the app and what would allow it.
void authorize_app(const Caller& caller, const App& app, const char* action);
// Checks a start request and pins it to the caller: a non-root caller without the manage-every
// right gets spec.user set to their own user name when it was empty, and is refused a user,
// uid, group or gid that is not theirs.
void authorize_start(const Caller& caller, AppSpec& spec);

// Whether the caller may see an app's full Spec: root, the admin group, or the app's user.
// (Not polkit: reading happens for every app of a GetManagedObjects and must not cost a bus
// round trip each.)
bool may_read_app_secrets(const Caller& caller, const App& app, const AccessRules& rules = access_rules());
// The spec as a reader without that right sees it: env values, command arguments and health
// check commands replaced by "(hidden)"; everything else as is.
AppSpec redacted_spec(const AppSpec& spec);

// What in a start request only a manager of every app may ask for, as the caller with this uid:
// log files and unix sockets outside what the caller owns, TCP ports below 1024. Empty if none.
std::string unprivileged_request_problem(uid_t caller, const AppSpec& spec);

// True if the user with this uid is a member of gid by the group database (primary or
// supplementary).
bool uid_in_group(uid_t uid, gid_t gid);

}  // namespace pmd
