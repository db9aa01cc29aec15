// The fixture of the cluster tests (cluster_test.cc, reexec_test.cc): a pmd, a free port, and
// specs for tests/integration/apps/cluster_app.py workers sharing a socket on it.
#pragma once

#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <set>
#include <string>

#include "pmd_harness.h"

namespace pmd::test {

class ClusterFixture : public ::testing::Test {
protected:
    void SetUp() override { h.start_pmd(); }
    void TearDown() override {
        if (HasFailure()) std::cerr << "--- pmd log ---\n" << h.pmd_log();
    }

    VariantDict app(const std::string& name, int instances, std::map<std::string, std::string> env = {}) {
        VariantDict s;
        s["name"] = sdbus::Variant(name);
        s["command"] = sdbus::Variant(std::vector<std::string>{"python3", CLUSTER_APP});
        s["cwd"] = sdbus::Variant(h.dir().string());
        s["instances"] = sdbus::Variant(int64_t{instances});
        s["listen"] = sdbus::Variant(std::vector<std::string>{"tcp:127.0.0.1:" + std::to_string(port)});
        s["wait_ready"] = sdbus::Variant(true);
        s["kill_timeout"] = sdbus::Variant(std::string("5s"));
        if (!env.empty()) s["env"] = sdbus::Variant(env);
        return s;
    }

    bool all_ready(const std::string& name, size_t count) {
        auto inst = h.instances(name);
        size_t ready = 0;
        for (auto& i : inst) ready += field<bool>(i, "ready") && field<std::string>(i, "state") == "online";
        return inst.size() == count && ready == count;
    }

    std::set<int32_t> pids(const std::string& name) {
        std::set<int32_t> out;
        for (auto& i : h.instances(name)) out.insert(field<int32_t>(i, "pid"));
        return out;
    }

    PmdHarness h;
    uint16_t port = free_port();
};

}  // namespace pmd::test
