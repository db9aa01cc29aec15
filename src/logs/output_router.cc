#include "logs/output_router.h"

#include <unistd.h>

namespace pmd {

void OutputRouter::adopt_slots(const std::string& name, std::vector<LogSlotHandover> slots) {
    (void)name;
    // A router without pipes (pmd run writes to its own stdio) has no use for them.
    for (const auto& slot : slots)
        for (int fd : {slot.out.read_fd, slot.out.write_fd, slot.err.read_fd, slot.err.write_fd})
            if (fd >= 0) ::close(fd);
}

}  // namespace pmd
