#include "bus/caller.h"

#include <sdbus-c++/Message.h>
#include <unistd.h>

#include <string>

#include "base/error.h"

namespace pmd {

Caller current_caller(const sdbus::IObject& object) {
    const sdbus::Message* msg = object.getCurrentlyProcessedMessage();
    if (!msg) throw Error(Error::Kind::AccessDenied, "the caller's credentials are unknown");
    Caller c;
    c.uid = msg->getCredsUid();
    c.pid = msg->getCredsPid();
    return c;
}

Caller require_manager(const sdbus::IObject& object, const char* action) {
    Caller c = current_caller(object);
    if (c.uid != 0 && c.uid != geteuid())
        throw Error(Error::Kind::AccessDenied, std::string("uid ") + std::to_string(c.uid) + " may not " + action +
                                                   ": only root or uid " + std::to_string(geteuid()) +
                                                   " manage apps on this pmd");
    return c;
}

}  // namespace pmd
