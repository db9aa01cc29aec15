// pmctl import: a PM2 ecosystem file (ecosystem.config.js, .cjs, .mjs or .json) to a pmd app
// file on stdout; what does not convert is listed on stderr (and as comments in the file).
// No daemon is involved.
#pragma once

#include <string>

namespace pmd {

int run_import(const std::string& file);

}  // namespace pmd
