// Who may see an app's environment (pmctl env) and reset its counters (pmctl reset): pmctl run
// as real users on a system-type bus with the shipped policy. An environment holds the app's
// secrets, so it is read as Spec is: the user the app runs as, root and the admin group.
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>

#include "bus_as_user.h"
#include "pmd_harness.h"

namespace pmd::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class Pm2CommandsSecurity : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root: creates test users and acts as them";
        alice = test_user("pmdtest-alice");
        bob = test_user("pmdtest-bob");
        carol = test_user("pmdtest-carol");
        h = start_pmd_for_several_users();
    }

    void TearDown() override {
        if (h && HasFailure()) std::cerr << "--- pmd log ---\n" << h->pmd_log();
    }

    // pmctl ARGS... as `user` (its uid, gid and groups).
    CommandResult pmctl_as(const TestUser& user, const std::vector<std::string>& args) {
        std::vector<std::string> argv{"setpriv", "--reuid=" + std::to_string(user.uid), "--regid=" + std::to_string(user.gid),
                                      "--init-groups", PMCTL_BIN, "--bus", h->address()};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(argv);
    }

    static VariantDict sleeper(const std::string& name, const std::string& secret) {
        VariantDict s;
        s["name"] = sdbus::Variant(name);
        s["command"] = sdbus::Variant(std::vector<std::string>{"/bin/sleep", "1000"});
        s["cwd"] = sdbus::Variant(std::string("/tmp"));
        s["env"] = sdbus::Variant(std::map<std::string, std::string>{{"PMDTEST_SECRET", secret}});
        return s;
    }

    bool online(const std::string& name) {
        auto instances = h->instances(name);
        return instances.size() == 1 && field<std::string>(instances[0], "state") == "online";
    }

    std::unique_ptr<PmdHarness> h;
    TestUser alice, bob, carol;
};

TEST_F(Pm2CommandsSecurity, OnlyTheAppsUserRootAndAdminsSeeItsEnvironment) {
    auto r = start_as(alice, h->address(), sleeper("alices", "alice-only"));
    ASSERT_TRUE(r.ok) << r.error_name << ": " << r.message;
    h->start_app(sleeper("roots", "root-only"));
    ASSERT_TRUE(h->wait_until([&] { return online("alices") && online("roots"); }));

    auto own = pmctl_as(alice, {"env", "alices"});
    EXPECT_EQ(own.exit_code, 0) << own.err;
    EXPECT_THAT(own.out, HasSubstr("PMDTEST_SECRET: alice-only\n"));

    auto other = pmctl_as(bob, {"env", "alices"});
    EXPECT_EQ(other.exit_code, 1) << other.out << other.err;
    EXPECT_THAT(other.err, HasSubstr("may not read the environment of app 'alices'"));
    EXPECT_THAT(other.out, Not(HasSubstr("alice-only")));

    auto roots = pmctl_as(alice, {"env", "roots"});
    EXPECT_EQ(roots.exit_code, 1) << roots.out << roots.err;
    EXPECT_THAT(roots.err, HasSubstr("may not read the environment of app 'roots'"));
    EXPECT_THAT(roots.out, Not(HasSubstr("root-only")));

    auto admin = pmctl_as(carol, {"env", "alices"});
    EXPECT_EQ(admin.exit_code, 0) << admin.err;
    EXPECT_THAT(admin.out, HasSubstr("PMDTEST_SECRET: alice-only\n"));

    auto by_root = h->pmctl({"env", "alices"});
    EXPECT_EQ(by_root.exit_code, 0) << by_root.err;
    EXPECT_THAT(by_root.out, HasSubstr("PMDTEST_SECRET: alice-only\n"));
}

TEST_F(Pm2CommandsSecurity, ResetNeedsTheRightToManageTheApp) {
    auto r = start_as(alice, h->address(), sleeper("alices", "x"));
    ASSERT_TRUE(r.ok) << r.error_name << ": " << r.message;
    ASSERT_TRUE(h->wait_until([&] { return online("alices"); }));

    auto other = pmctl_as(bob, {"reset", "alices"});
    EXPECT_EQ(other.exit_code, 1) << other.out << other.err;
    EXPECT_THAT(other.err, HasSubstr("may not reset the counters of 'alices'"));
    auto all = pmctl_as(bob, {"reset", "all"});
    EXPECT_EQ(all.exit_code, 1) << all.out << all.err;

    auto own = pmctl_as(alice, {"reset", "alices"});
    EXPECT_EQ(own.exit_code, 0) << own.err;
}

// The log lines of a report name every user's apps and paths: only managers of every app see them.
TEST_F(Pm2CommandsSecurity, ReportShowsPmdsLogOnlyToManagersOfEveryApp) {
    auto user = pmctl_as(bob, {"report"});
    EXPECT_EQ(user.exit_code, 0) << user.err;
    EXPECT_THAT(user.out, HasSubstr("only root and the admin group see pmd's log"));
    auto admin = pmctl_as(carol, {"report"});
    EXPECT_EQ(admin.exit_code, 0) << admin.err;
    EXPECT_THAT(admin.out, Not(HasSubstr("only root and the admin group see pmd's log")));
}

}  // namespace
}  // namespace pmd::test
