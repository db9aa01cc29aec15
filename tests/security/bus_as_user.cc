#include "bus_as_user.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "pmd_harness.h"

namespace pmd::test {
namespace {

void write_all(int fd, const std::string& text) {
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = write(fd, text.data() + done, text.size() - done);
        if (n <= 0) return;
        done += static_cast<size_t>(n);
    }
}

}  // namespace

TestUser test_user(const std::string& name) {
    static std::once_flag created;
    std::call_once(created, [] {
        auto r = run_command({PMD_SECURITY_DIR "/create-test-users"});
        if (r.exit_code != 0) throw std::runtime_error("create-test-users failed: " + r.err);
    });
    struct passwd* pw = getpwnam(name.c_str());
    if (!pw) throw std::runtime_error("no user " + name + " after create-test-users");
    TestUser u{name, pw->pw_uid, pw->pw_gid, {}};
    int n = 64;
    u.groups.resize(static_cast<size_t>(n));
    if (getgrouplist(name.c_str(), pw->pw_gid, u.groups.data(), &n) < 0) throw std::runtime_error("getgrouplist");
    u.groups.resize(static_cast<size_t>(n));
    return u;
}

BusOutcome call_as(const TestUser& user, const std::string& address,
                   const std::function<std::string(sdbus::IConnection&)>& exchange) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) throw std::runtime_error("pipe");
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork");
    if (pid == 0) {
        close(p[0]);
        std::string out;
        if (setgroups(user.groups.size(), user.groups.data()) < 0 || setresgid(user.gid, user.gid, user.gid) < 0 ||
            setresuid(user.uid, user.uid, user.uid) < 0) {
            write_all(p[1], "E\nsetup\ncannot switch to " + user.name);
            _exit(1);
        }
        try {
            auto connection = sdbus::createSessionBusConnectionWithAddress(address);
            out = "O\n\n" + exchange(*connection);
        } catch (const sdbus::Error& e) {
            out = "E\n" + e.getName() + "\n" + e.getMessage();
        } catch (const std::exception& e) {
            out = "E\nexception\n" + std::string(e.what());
        }
        write_all(p[1], out);
        _exit(0);
    }
    close(p[1]);
    std::string text;
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    char buf[4096];
    while (true) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
        struct pollfd pfd{p[0], POLLIN, 0};
        if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) != 1) {
            kill(pid, SIGKILL);
            break;
        }
        ssize_t n = read(p[0], buf, sizeof buf);
        if (n <= 0) break;
        text.append(buf, static_cast<size_t>(n));
    }
    close(p[0]);
    waitpid(pid, nullptr, 0);
    BusOutcome o;
    if (text.size() < 2) {
        o.error_name = "timeout";
        return o;
    }
    o.ok = text[0] == 'O';
    size_t second = text.find('\n', 2);
    o.error_name = text.substr(2, second == std::string::npos ? std::string::npos : second - 2);
    if (second != std::string::npos) o.message = text.substr(second + 1);
    return o;
}

BusOutcome start_as(const TestUser& user, const std::string& address,
                    const std::map<std::string, sdbus::Variant>& spec) {
    return call_as(user, address, [&](sdbus::IConnection& c) {
        auto proxy = sdbus::createProxy(c, "org.pmd.God1", "/org/pmd/God1");
        sdbus::ObjectPath path;
        proxy->callMethod("StartApp").onInterface("org.pmd.God1.Manager").withArguments(spec).storeResultsTo(path);
        return std::string(path);
    });
}

BusOutcome manager_call_as(const TestUser& user, const std::string& address, const std::string& method,
                           const std::string& app_name) {
    return call_as(user, address, [&](sdbus::IConnection& c) {
        auto proxy = sdbus::createProxy(c, "org.pmd.God1", "/org/pmd/God1");
        proxy->callMethod(method).onInterface("org.pmd.God1.Manager").withArguments(app_name);
        return std::string();
    });
}

std::string system_bus_config_with_pmd_policy() {
    std::ostringstream out;
    out << R"(<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>@LISTEN@</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus" send_member="UpdateActivationEnvironment"/>
  </policy>
  <include>)" << PMD_DBUS_POLICY << R"(</include>
</busconfig>
)";
    return out.str();
}

std::unique_ptr<PmdHarness> start_pmd_for_several_users() {
    HarnessOptions options;
    options.bus_config = system_bus_config_with_pmd_policy();
    auto h = std::make_unique<PmdHarness>(options);
    // Other users must reach the bus socket inside the harness directory.
    chmod(h->dir().c_str(), 0755);
    std::ofstream(h->dir() / "pmd.toml") << "admin_group = \"pmdtest-admins\"\n";
    h->start_pmd();
    return h;
}

}  // namespace pmd::test
