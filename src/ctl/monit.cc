#include "ctl/monit.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "ctl/bus_connect.h"
#include "ctl/god_client.h"

namespace pmd {
namespace {

volatile sig_atomic_t g_quit = 0;
void on_signal(int) { g_quit = 1; }

// Raw-ish terminal for single-key input, alternate screen, hidden cursor; all undone in the
// destructor, which runs on every way out (q, Ctrl-C, SIGTERM, an exception).
class TerminalMode {
public:
    TerminalMode() {
        interactive_ = ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0;
        if (interactive_) {
            termios raw = saved_;
            raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
            raw.c_cc[VMIN] = 0;
            raw.c_cc[VTIME] = 0;
            ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
        }
        std::fputs("\033[?1049h\033[?25l", stdout);
        std::fflush(stdout);
    }
    ~TerminalMode() {
        std::fputs("\033[?25h\033[?1049l", stdout);
        std::fflush(stdout);
        if (interactive_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    }

private:
    termios saved_{};
    bool interactive_ = false;
};

std::string human_bytes(uint64_t b) {
    char buf[32];
    if (b >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.1fG", static_cast<double>(b) / (1ull << 30));
    else if (b >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.1fM", static_cast<double>(b) / (1ull << 20));
    else std::snprintf(buf, sizeof buf, "%.0fK", static_cast<double>(b) / 1024);
    return buf;
}

std::string human_uptime(uint64_t ms) {
    uint64_t s = ms / 1000;
    char buf[32];
    if (s >= 86400) std::snprintf(buf, sizeof buf, "%llud", static_cast<unsigned long long>(s / 86400));
    else if (s >= 3600) std::snprintf(buf, sizeof buf, "%lluh", static_cast<unsigned long long>(s / 3600));
    else if (s >= 60) std::snprintf(buf, sizeof buf, "%llum", static_cast<unsigned long long>(s / 60));
    else std::snprintf(buf, sizeof buf, "%llus", static_cast<unsigned long long>(s));
    return buf;
}

struct Watched {
    std::unique_ptr<sdbus::IProxy> proxy;
    std::vector<VariantDict> figures;
};

template <typename T>
T get_or(const VariantDict& d, const char* key, T fallback) {
    auto it = d.find(key);
    return it == d.end() ? fallback : it->second.get<T>();
}

}  // namespace

int run_monit(const BusChoice& bus) {
    auto connection = connect_within(bus, bus.call_timeout.value_or(kDefaultCallTimeout));
    auto manager = sdbus::createProxy(*connection, "org.pmd.God1", "/org/pmd/God1");
    std::map<std::string, Watched> apps;
    bool dirty = true;

    auto watch = [&](const std::string& name, const sdbus::ObjectPath& path) {
        Watched w;
        w.proxy = sdbus::createProxy(*connection, "org.pmd.God1", path);
        auto* slot = &apps[name];
        w.proxy->uponSignal("PropertiesChanged").onInterface("org.freedesktop.DBus.Properties")
            .call([slot, &dirty](const std::string&, const VariantDict& changed, const std::vector<std::string>&) {
                auto it = changed.find("Figures");
                if (it == changed.end()) return;
                slot->figures = it->second.get<std::vector<VariantDict>>();
                dirty = true;
            });
        w.proxy->finishRegistration();
        try {
            sdbus::Variant v = w.proxy->getProperty("Figures").onInterface("org.pmd.God1.App");
            w.figures = v.get<std::vector<VariantDict>>();
        } catch (const sdbus::Error&) {
        }
        *slot = std::move(w);
        dirty = true;
    };
    manager->uponSignal("AppAdded").onInterface("org.pmd.God1.Manager")
        .call([&](const std::string& name, const sdbus::ObjectPath& path) { watch(name, path); });
    manager->uponSignal("AppRemoved").onInterface("org.pmd.God1.Manager")
        .call([&](const std::string& name, const sdbus::ObjectPath&) {
            apps.erase(name);
            dirty = true;
        });
    manager->finishRegistration();
    std::vector<VariantDict> listed;
    try {
        manager->callMethod("ListApps").onInterface("org.pmd.God1.Manager").storeResultsTo(listed);
    } catch (const sdbus::Error& e) {
        throw CtlFailure(3, "cannot list apps on " + bus.describe() + ": " + e.getMessage());
    }
    for (const auto& app : listed) {
        std::string name = app.at("name").get<std::string>();
        sdbus::ObjectPath path;
        manager->callMethod("GetApp").onInterface("org.pmd.God1.Manager").withArguments(name).storeResultsTo(path);
        watch(name, path);
    }

    struct sigaction sa{};
    sa.sa_handler = on_signal;  // no SA_RESTART: poll returns EINTR and the loop ends
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGHUP, &sa, nullptr);
    TerminalMode terminal;

    // pmd announces Figures only for a while after someone read them (FiguresClock::kLease,
    // 60 s); reading them again every 30 s keeps the announcements coming.
    constexpr auto kRenewEvery = std::chrono::seconds(30);
    auto renewed = std::chrono::steady_clock::now();
    while (!g_quit) {
        while (connection->processPendingRequest()) {
        }
        if (auto now = std::chrono::steady_clock::now(); now - renewed >= kRenewEvery) {
            renewed = now;
            for (auto& [name, w] : apps) {
                if (!w.proxy) continue;
                try {
                    w.figures = w.proxy->getProperty("Figures").onInterface("org.pmd.God1.App").get<std::vector<VariantDict>>();
                    dirty = true;
                } catch (const sdbus::Error&) {
                }
                break;  // one read renews the announcements of every app
            }
        }
        if (dirty) {
            std::ostringstream out;
            out << "\033[H\033[2J" << "pmd monit on " << bus.describe() << "   (q to quit)\n\n";
            char line[256];
            std::snprintf(line, sizeof line, "%-20s %4s %8s %-10s %6s %9s %8s %7s\n", "APP", "#", "PID", "STATE", "CPU%",
                          "MEMORY", "RESTARTS", "UPTIME");
            out << line;
            for (const auto& [name, w] : apps) {
                if (w.figures.empty()) {
                    std::snprintf(line, sizeof line, "%-20.20s %4s %8s %-10s\n", name.c_str(), "-", "-", "no instances");
                    out << line;
                }
                for (const auto& f : w.figures) {
                    std::snprintf(line, sizeof line, "%-20.20s %4u %8d %-10.10s %6.1f %9s %8u %7s\n", name.c_str(),
                                  get_or<uint32_t>(f, "index", 0), get_or<int32_t>(f, "pid", 0),
                                  get_or<std::string>(f, "state", "?").c_str(), get_or<double>(f, "cpu_percent", 0),
                                  human_bytes(get_or<uint64_t>(f, "memory_bytes", 0)).c_str(),
                                  get_or<uint32_t>(f, "restarts", 0),
                                  human_uptime(get_or<uint64_t>(f, "uptime_ms", 0)).c_str());
                    out << line;
                }
            }
            std::fputs(out.str().c_str(), stdout);
            std::fflush(stdout);
            dirty = false;
        }
        auto poll_data = connection->getEventLoopPollData();
        pollfd fds[2] = {{poll_data.fd, static_cast<short>(poll_data.events), 0}, {STDIN_FILENO, POLLIN, 0}};
        // At most a second, so the renewal above happens even when no announcement arrives.
        int timeout = poll_data.timeout_usec == UINT64_MAX ? 1000 : static_cast<int>(std::min<uint64_t>(poll_data.timeout_usec / 1000, 1000));
        if (::poll(fds, 2, timeout) < 0) continue;
        if (fds[1].revents & POLLIN) {
            char c = 0;
            if (::read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q' || c == 3)) break;
        }
        if (fds[1].revents & (POLLHUP | POLLERR)) break;
    }
    return 0;
}

}  // namespace pmd
