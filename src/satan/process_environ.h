// The environment a process was started with, as the kernel keeps it (/proc/PID/environ):
// what `pmctl env` shows, so a user sees what the app really got (pmd's defaults, PMD_*,
// LISTEN_*, the spec's env) rather than what the spec asked for.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "satan/process_ref.h"

namespace pmd {

// "KEY=VALUE" entries in the order of the process's environ block. nullopt when the process
// is gone, before or while it is read (the pidfd says so, so a recycled pid never answers for
// it); an unreadable file for any other reason throws Error(Failed).
std::optional<std::vector<std::string>> read_process_environ(const ProcessRef& process);

}  // namespace pmd
