// Manager::environment: what `pmctl env` shows. The serving instance of the slot answers; a
// reload's replacement not yet serving does not (PM2's env also names the process in the list).
#include "god/manager.h"
#include "satan/process_environ.h"

namespace pmd {

std::vector<std::string> Manager::environment(const std::string& name, unsigned index) const {
    auto it = apps_.find(name);
    if (it == apps_.end() || it->second->deleting)
        throw Error(Error::Kind::NoSuchApp, "no app named '" + name + "' (pmctl ls lists the apps)");
    const App& app = *it->second;
    const Instance* instance = nullptr;
    for (const auto& i : app.instances)
        if (i->index == index) instance = i.get();
    if (!instance) {
        std::string has = app.instances.empty() ? "no instance"
                          : app.instances.size() == 1
                              ? "one instance (0)"
                              : std::to_string(app.instances.size()) + " instances (0.." +
                                    std::to_string(app.instances.size() - 1) + ")";
        throw Error(Error::Kind::NoSuchInstance,
                    "app '" + name + "' has " + has + "; there is no instance " + std::to_string(index));
    }
    std::string what = "instance " + std::to_string(index) + " of app '" + name + "'";
    if (!instance->process)
        throw Error(Error::Kind::NotRunning, what + " is not running (" + state_name(instance->state) +
                                                 "); pmctl start " + name + " starts it");
    auto env = read_process_environ(instance->process);
    if (!env) throw Error(Error::Kind::NotRunning, what + " exited while its environment was read; try again");
    return *env;
}

}  // namespace pmd
