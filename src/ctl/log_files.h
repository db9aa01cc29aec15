// pmctl logs over files: the last lines of each log file an app declares (LogFiles property),
// and following them across rotation and truncation with inotify on their directories.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "logs/date_format.h"

namespace pmd {

struct FollowedLog {
    std::string app;
    int32_t instance = -1;  // -1: a file shared by every instance
    std::string stream;     // "out", "err", "both"
    std::string path;
};

// "web[0] | ", "web[1] err | ", "web[*] | ".
std::string log_prefix(const std::string& app, int32_t instance, const std::string& stream, bool color);

// The last n lines of a file (fewer if it has fewer), without their newlines.
std::vector<std::string> last_lines(const std::string& path, size_t n);

// Prints the last n lines of every file, then, with follow, new lines as they are written
// until interrupted. A non-empty stamp puts the time each line is printed after its prefix
// (pm2 logs --timestamp: log files keep no time of their own). Throws std::runtime_error
// naming a file that cannot be watched.
void show_log_files(const std::vector<FollowedLog>& logs, size_t n, bool follow, bool color, const DateFormat& stamp = {});

}  // namespace pmd
