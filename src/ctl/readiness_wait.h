// `pmctl start --wait-ready` (and `start FILE` of apps with wait_ready): return only once every
// instance of the apps is ready, as `pm2 start` waits for the ready message. pmd announces each
// readiness with PropertiesChanged on the app object (Instances invalidated), so pmctl
// subscribes, reads Instances, and reads them again on each announcement: no polling.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <string>
#include <vector>

namespace pmd {

// Returns when every instance of every app is online and ready. Throws CtlFailure 3 past
// `limit`, naming the instances not ready (the apps keep running), and CtlFailure 1 when an
// app ends up errored or stopped, so can never become ready.
void wait_until_ready(sdbus::IConnection& connection, const std::vector<sdbus::ObjectPath>& apps,
                      std::chrono::milliseconds limit);

// The apps among `apps` whose spec has wait_ready.
std::vector<sdbus::ObjectPath> apps_waiting_for_ready(sdbus::IConnection& connection, const std::vector<sdbus::ObjectPath>& apps);

}  // namespace pmd
