#include "bus/bus_errors.h"

#include <spdlog/spdlog.h>

namespace pmd {

sdbus::Error to_bus_error(const Error& error) {
    return sdbus::Error(std::string(kErrorPrefix) + std::string(error_kind_name(error.kind())), error.what());
}

sdbus::Error current_exception_to_bus_error() {
    try {
        throw;
    } catch (const sdbus::Error& e) {
        return e;
    } catch (const Error& e) {
        return to_bus_error(e);
    } catch (const std::exception& e) {
        spdlog::error("request failed unexpectedly: {}", e.what());
        return sdbus::Error(std::string(kErrorPrefix) + "Failed", e.what());
    } catch (...) {
        spdlog::error("request failed with an unknown exception");
        return sdbus::Error(std::string(kErrorPrefix) + "Failed", "internal error");
    }
}

}  // namespace pmd

namespace pmd {

void send_quietly(const char* what, const std::function<void()>& send) noexcept {
    try {
        send();
    } catch (const std::exception& e) {
        spdlog::debug("{} not sent: {}", what, e.what());
    }
}

}  // namespace pmd
