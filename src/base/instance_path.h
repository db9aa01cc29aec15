// The file of one instance of an app: "app-out.log" -> "app-out-2.log", PM2's naming of
// per-instance files (logs, pid files).
#pragma once

#include <string>

namespace pmd {

std::string path_with_instance(const std::string& path, unsigned index);

}  // namespace pmd
