// Launcher: how the Manager starts an instance's main process. The daemon's is spawn()
// (satan/spawner.h: clone3 into the cgroup, credentials, limits, exec); manager_test.cc starts
// stand-in processes it can end at will.
#pragma once

#include "satan/process_ref.h"
#include "satan/spawner.h"

namespace pmd {

class Launcher {
public:
    virtual ~Launcher() = default;
    // Throws Error (ExecFailed, ...) when no process could be started.
    virtual ProcessRef launch(const SpawnRequest& request) = 0;
};

class SpawnLauncher final : public Launcher {
public:
    ProcessRef launch(const SpawnRequest& request) override { return spawn(request); }
};

}  // namespace pmd
