#include "bus/polkit_check.h"

#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <string>

#include "base/proc_stat.h"

namespace pmd {
namespace {

// Field 22 of /proc/PID/stat: polkit pairs it with the pid so a recycled pid is not mistaken
// for the caller (CVE-2013-4288); the uid from the bus is passed as well.
uint64_t process_start_time(pid_t pid) {
    auto stat = read_proc_stat(pid);
    return stat ? stat->start_time_ticks : 0;
}

}  // namespace

bool polkit_allows_manage(const Caller& caller) {
    // The connection is opened on first use and kept; a failed open is retried next time, as
    // polkitd or the system bus may start after pmd.
    static std::unique_ptr<sdbus::IConnection> system_bus;
    try {
        if (!system_bus) system_bus = sdbus::createSystemBusConnection();
        auto authority = sdbus::createProxy(*system_bus, "org.freedesktop.PolicyKit1",
                                            "/org/freedesktop/PolicyKit1/Authority");
        std::map<std::string, sdbus::Variant> subject_details{
            {"pid", sdbus::Variant(static_cast<uint32_t>(caller.pid))},
            {"start-time", sdbus::Variant(process_start_time(caller.pid))},
            {"uid", sdbus::Variant(static_cast<int32_t>(caller.uid))},
        };
        sdbus::Struct<std::string, std::map<std::string, sdbus::Variant>> subject{"unix-process", subject_details};
        std::map<std::string, std::string> details;
        uint32_t flags = 0;  // no interaction: pmd cannot wait for a password prompt
        sdbus::Struct<bool, bool, std::map<std::string, std::string>> result;
        authority->callMethod("CheckAuthorization")
            .onInterface("org.freedesktop.PolicyKit1.Authority")
            .withTimeout(std::chrono::seconds(5))
            .withArguments(subject, std::string(kManageAction), details, flags, std::string())
            .storeResultsTo(result);
        return std::get<0>(result);
    } catch (const sdbus::Error& e) {
        spdlog::debug("polkit check for uid {} skipped: {}: {}", caller.uid, e.getName(), e.getMessage());
        if (e.getName() != "org.freedesktop.DBus.Error.ServiceUnknown") system_bus.reset();
        return false;
    } catch (const std::exception& e) {
        spdlog::debug("polkit check for uid {} skipped: {}", caller.uid, e.what());
        return false;
    }
}

}  // namespace pmd
