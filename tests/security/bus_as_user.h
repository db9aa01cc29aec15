// Security tests act as real users: BusUser runs one D-Bus exchange in a forked child that has
// dropped to the user's uid, gid and groups (from the group database), on its own connection,
// so the bus daemon and pmd see that user's credentials, exactly as for a real client.
#pragma once

#include <sdbus-c++/sdbus-c++.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pmd_harness.h"

namespace pmd::test {

struct BusOutcome {
    bool ok = false;
    std::string error_name;  // "org.pmd.God1.Error.AccessDenied" when !ok
    std::string message;     // the error message, or what the exchange returned
};

struct TestUser {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
};

// Runs tests/security/create-test-users once and looks the user up; throws if it cannot.
TestUser test_user(const std::string& name);

// Runs `exchange` as `user` on a new connection to `address` (deadline 30 s); what it returns
// becomes BusOutcome::message, an sdbus::Error it throws becomes error_name and message.
BusOutcome call_as(const TestUser& user, const std::string& address,
                   const std::function<std::string(sdbus::IConnection&)>& exchange);

// The usual calls on /org/pmd/God1, as `user`.
BusOutcome start_as(const TestUser& user, const std::string& address,
                    const std::map<std::string, sdbus::Variant>& spec);
BusOutcome manager_call_as(const TestUser& user, const std::string& address, const std::string& method,
                           const std::string& app_name);

// A system-type bus configuration: the stock default policy of /usr/share/dbus-1/system.conf
// (deny own and method calls unless allowed), then the shipped dbus/org.pmd.God1.conf.
std::string system_bus_config_with_pmd_policy();

// A started pmd on a system-type bus with pmd's policy, whose socket other users can reach,
// and whose pmd.toml names pmdtest-admins as the admin group: what every test that acts as
// several users starts from.
std::unique_ptr<PmdHarness> start_pmd_for_several_users();

}  // namespace pmd::test
