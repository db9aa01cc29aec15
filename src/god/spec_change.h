// Whether a running app can move to a changed spec by a rolling reload (new instances up and
// ready before old ones stop, the listen sockets kept), or only by a restart (every instance
// down, then up with the new spec). daemon-reload asks this for every changed app of apps_dir.
//
// A reload replaces instances one batch at a time while the old ones keep running, so it can
// apply anything a new process picks up at spawn: command, env, cwd, user, limits, readiness,
// triggers, the instance count. It cannot apply what the app shares between old and new
// instances while both run:
//   listen, reuse_port        the sockets are bound once per app and passed to every instance;
//                             a different set would need old and new sockets side by side
//   out_file, error_file,     the log pipes and files are set up once per app and shared by
//   merge_logs,               the old and new instance of a slot
//   log_date_format
#pragma once

#include <optional>
#include <string>

#include "spec/app_spec.h"

namespace pmd {

// nullopt: a rolling reload applies `to`. Otherwise why only a restart can, for the user
// ("its listen addresses change (tcp:127.0.0.1:80 -> tcp:127.0.0.1:81)").
std::optional<std::string> restart_needed_for(const AppSpec& from, const AppSpec& to);

// The two per-app resources behind it: the sockets pmd binds, and the log route.
bool sockets_differ(const AppSpec& a, const AppSpec& b);
bool log_route_differs(const AppSpec& a, const AppSpec& b);

}  // namespace pmd
