#include "daemon/stdio_output_router.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace pmd {
namespace {

UniqueFd duplicate(int fd, const char* what) {
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0)
        throw Error(Error::Kind::Failed, std::string("cannot duplicate pmd's ") + what + " for an instance: " +
                                             std::strerror(errno) + " (is it closed?)");
    return UniqueFd(copy);
}

}  // namespace

InstanceOutput StdioOutputRouter::instance_output(const AppSpec&, unsigned) {
    return {duplicate(1, "stdout"), duplicate(2, "stderr")};
}

}  // namespace pmd
