#include "bus/caller.h"

#include <sdbus-c++/Message.h>

#include <string>

#include "base/error.h"
#include "bus/authorization.h"
#include "god/manager.h"

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
    if (!may_manage_every_app(c))
        throw Error(Error::Kind::AccessDenied, "uid " + std::to_string(c.uid) + " may not " + action +
                                                   ": that needs root, the admin group of pmd.toml or polkit's "
                                                   "org.pmd.God1.manage");
    return c;
}

Caller require_app_manager(const sdbus::IObject& object, const Manager& manager, const std::string& name,
                           const char* action) {
    if (name == "all") return require_manager(object, (std::string(action) + " every app").c_str());
    Caller c = current_caller(object);
    if (const App* app = manager.find(name)) authorize_app(c, *app, action);
    return c;
}

Caller require_start(const sdbus::IObject& object, AppSpec& spec) {
    Caller c = current_caller(object);
    authorize_start(c, spec);
    return c;
}

bool may_read_secrets(const sdbus::IObject& object, const App& app) {
    const sdbus::Message* msg = object.getCurrentlyProcessedMessage();
    if (!msg) return false;
    std::string member = msg->getMemberName();
    if (member != "Get" && member != "GetAll" && member != "GetManagedObjects") return false;
    return may_read_app_secrets(current_caller(object), app);
}

}  // namespace pmd
