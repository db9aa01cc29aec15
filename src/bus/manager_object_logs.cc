// ManagerObject's logs methods and the figures clock.
//
// Figures are announced once a second for every app that has instances, whether or not anyone
// listens: the bus daemon forwards a signal only to clients with a matching rule, and tracking
// watchers ourselves (NameOwnerChanged, a Watch method) would cost more code than it saves. The
// cost is one PropertiesChanged per app per second plus reading memory.current/cpu.stat of each
// instance, measured in docs/logs.md.
#include <sdbus-c++/sdbus-c++.h>

#include "bus/bus_errors.h"
#include "bus/caller.h"
#include "bus/manager_object.h"

namespace pmd {

void ManagerObject::ReopenLogs() {
    guarded([&] {
        require_manager(getObject(), "reopen log files");
        manager_.output().reopen();
    });
}

void ManagerObject::FlushLogs(const std::string& name) {
    guarded([&] {
        require_app_manager(getObject(), manager_, name, "flush logs");
        if (name != "all" && !manager_.find(name))
            throw Error(Error::Kind::NoSuchApp, "no app named '" + name + "' (see pmctl ls)");
        manager_.output().flush(name);
    });
}

void ManagerObject::send_log_lines(const std::string& app, const std::vector<std::string>& clients,
                                   const std::vector<TailLine>& lines, uint64_t skipped) {
    auto it = objects_.find(app);
    if (it != objects_.end()) it->second->emit_log_lines(clients, lines, skipped);
}

void ManagerObject::publish_figures() {
    for (auto& [name, object] : objects_) {
        const App* app = manager_.find(name);
        if (app && !app->instances.empty()) object->emit_figures();
    }
}

}  // namespace pmd
