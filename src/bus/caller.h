// Who is calling, from the bus credentials of the message being processed (never from
// arguments), and the checks a method runs before it acts. The rules themselves live in
// bus/authorization.h.
#pragma once

#include <sdbus-c++/IObject.h>

#include <sys/types.h>

#include <string>

namespace pmd {

class App;
class Manager;
struct AppSpec;

struct Caller {
    uid_t uid = 0;
    pid_t pid = 0;
};

Caller current_caller(const sdbus::IObject& object);
// Throws org.pmd.God1.Error.AccessDenied (as pmd::Error) unless the caller may manage every app
// (root, admin group, polkit): for requests that are not about one app of theirs.
Caller require_manager(const sdbus::IObject& object, const char* action);
// The same for one app by name ("all" counts as every app). An unknown name passes: the Manager
// answers NoSuchApp, which tells nothing a ListApps would not.
Caller require_app_manager(const sdbus::IObject& object, const Manager& manager, const std::string& name,
                           const char* action);
// For StartApp: may pin spec.user to the caller (see authorize_start).
Caller require_start(const sdbus::IObject& object, AppSpec& spec);

// Whether the message being answered is a property read (Get, GetAll, GetManagedObjects) by a
// caller who may see the app's secrets. Anything else, notably a signal such as
// InterfacesAdded that every bus client receives, gets the redacted Spec.
bool may_read_secrets(const sdbus::IObject& object, const App& app);

}  // namespace pmd
