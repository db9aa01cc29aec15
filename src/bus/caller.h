// Who is calling, from the bus credentials of the message being processed (never from
// arguments), and whether they may change things. Until the admin-group and polkit rules
// land, a mutating call needs root or the daemon's own uid; reading is open to everyone.
#pragma once

#include <sdbus-c++/IObject.h>

#include <sys/types.h>

namespace pmd {

struct Caller {
    uid_t uid = 0;
    pid_t pid = 0;
};

Caller current_caller(const sdbus::IObject& object);
// Throws org.pmd.God1.Error.AccessDenied (as pmd::Error) when the caller may not manage apps.
Caller require_manager(const sdbus::IObject& object, const char* action);

}  // namespace pmd
