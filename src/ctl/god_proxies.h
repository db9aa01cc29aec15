// pmctl's calls to org.pmd.God1 are the proxies generated from dbus/*.xml, so a method whose
// name or signature changes there fails pmctl's build, not a user's command. Only the calls
// are used: the generated signal handlers stay unregistered (no finishRegistration), so a
// call adds no match rule on the bus; pmctl subscribes only to what it waits for
// (ctl/bus_wait.h).
#pragma once

#include <pmd-glue/App_proxy.h>
#include <pmd-glue/Manager_proxy.h>

namespace pmd {

class ManagerCalls : public org::pmd::God1::Manager_proxy {
public:
    explicit ManagerCalls(sdbus::IProxy& proxy) : Manager_proxy(proxy) {}

private:
    void onAppAdded(const std::string&, const sdbus::ObjectPath&) override {}
    void onAppRemoved(const std::string&, const sdbus::ObjectPath&) override {}
    void onInstanceExited(const std::string&, const uint32_t&, const int32_t&, const std::string&, const int32_t&) override {}
};

class AppCalls : public org::pmd::God1::App_proxy {
public:
    explicit AppCalls(sdbus::IProxy& proxy) : App_proxy(proxy) {}

private:
    void onLogLines(const std::vector<sdbus::Struct<uint64_t, uint64_t, uint32_t, std::string, std::string>>&,
                    const uint64_t&) override {}
};

}  // namespace pmd
