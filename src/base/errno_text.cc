#include "base/errno_text.h"

#include <cerrno>
#include <cstring>

namespace pmd {

bool out_of_fds(int error) { return error == EMFILE || error == ENFILE; }

std::string errno_text(int error) {
    std::string text = std::strerror(error);
    if (error == EMFILE) text += " (pmd's file descriptor limit is reached: raise LimitNOFILE= of pmd.service)";
    if (error == ENFILE) text += " (the system-wide file limit is reached: see sysctl fs.file-max)";
    return text;
}

}  // namespace pmd
