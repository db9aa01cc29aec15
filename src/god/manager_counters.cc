// Manager::reset_counters: PM2's `pm2 reset` zeroes restart_time and unstable_restarts; the
// same here, for the counts of the instances and of their restart policy. Changed apps are
// announced like any other change (PropertiesChanged of Restarts and Instances).
#include "god/manager.h"

namespace pmd {

std::vector<std::string> Manager::reset_counters(const std::string& name_or_all) {
    std::vector<App*> targets;
    if (name_or_all == "all") {
        for (auto& [name, app] : apps_)
            if (!app->deleting) targets.push_back(app.get());
    } else {
        targets.push_back(&get(name_or_all));
    }
    std::vector<std::string> out;
    for (App* app : targets) {
        for (Instance* instance : app->all_instances()) {
            instance->restarts = 0;
            instance->policy.reset_counts();
        }
        out.push_back(app->spec.name);
        changed(*app);
    }
    return out;
}

}  // namespace pmd
