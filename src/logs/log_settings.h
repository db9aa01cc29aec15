// How pmd.toml's log keys (log_dir, log_sink, log_max_size, log_max_files, log_compress) become the
// PipeOutputRouter's settings. pmd --log-dir, when given, wins over log_dir.
#pragma once

#include <string>

#include "config/daemon_config.h"
#include "logs/pipe_output_router.h"

namespace pmd {

// cli_log_dir: the --log-dir value, or empty when it was not given.
LogSettings log_settings(const DaemonConfig& config, const std::string& cli_log_dir);

}  // namespace pmd
