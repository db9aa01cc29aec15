#include "daemon/bus_session.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <sdbus-c++/Error.h>

namespace pmd {
namespace {

constexpr const char* kBusName = "org.pmd.God1";
constexpr std::chrono::milliseconds kFirstRetry{100};
constexpr std::chrono::milliseconds kLongestRetry{5000};

}  // namespace

BusSession::BusSession(EventLoop& loop, Manager& manager, DeclaredApps* declared, std::string where, Hooks hooks)
    : loop_(loop), manager_(manager), declared_(declared), where_(std::move(where)), hooks_(std::move(hooks)) {}

void BusSession::attach() { connect_objects(); }

void BusSession::own_name() {
    try {
        bus_->get().requestName(kBusName);
    } catch (const sdbus::Error& e) {
        throw std::runtime_error("cannot own org.pmd.God1 on " + where_ + ": " + e.getMessage() +
                                 " (is another pmd running there?)");
    }
    owns_name_ = true;
}

void BusSession::connect_objects() {
    bus_ = std::make_unique<BusConnection>(loop_, hooks_.connect(), [this](const std::string& why) { detach(why); });
    object_ = std::make_unique<ManagerObject>(bus_->get(), loop_, manager_, declared_);
    if (hooks_.configure) hooks_.configure(*object_);
}

void BusSession::detach(const std::string& why) {
    spdlog::error("lost the connection to {} ({}): every app keeps running; connecting again", where_, why);
    if (hooks_.status) hooks_.status("Bus lost; apps keep running; reconnecting");
    // Objects first: they unregister from the connection they were made on.
    object_.reset();
    bus_.reset();
    retry_delay_ = kFirstRetry;
    retry_timer_ = loop_.add_timer(retry_delay_, [this] { retry(); });
}

void BusSession::retry() {
    try {
        connect_objects();
        if (owns_name_) bus_->get().requestName(kBusName);
        spdlog::info("connected again to {}: {} app(s) published again", where_, manager_.apps().size());
        if (hooks_.status) hooks_.status("Managing apps on " + where_);
        retry_timer_ = EventSource();
        return;
    } catch (const std::exception& e) {
        retry_delay_ = std::min(retry_delay_ * 2, kLongestRetry);
        spdlog::warn("{} is still unreachable ({}); next try in {} ms", where_, e.what(), retry_delay_.count());
    }
    object_.reset();
    bus_.reset();
    retry_timer_ = loop_.add_timer(retry_delay_, [this] { retry(); });
}

}  // namespace pmd
