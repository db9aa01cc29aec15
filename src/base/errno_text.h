// errno_text: an errno as a person should read it in an error message. Running out of file
// descriptors is the one failure whose fix is never near where it shows (a pipe, a log file,
// a cgroup, a save): every place says the same thing, and names the limit to raise.
#pragma once

#include <string>

namespace pmd {

// strerror(error), with the fix appended for EMFILE and ENFILE.
std::string errno_text(int error);

// For EMFILE/ENFILE the place's own advice would mislead (nothing is wrong with that path).
bool out_of_fds(int error);

}  // namespace pmd
