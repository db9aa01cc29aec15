#include "bus/log_watch.h"

#include "base/error.h"

namespace pmd {

void LogWatch::watch(const std::string& app, const std::string& client) {
    AppWatch& w = apps_[app];
    if (!w.until_usec.count(client) && w.until_usec.size() >= kWatchersPerApp)
        throw Error(Error::Kind::Busy, "app '" + app + "' has " + std::to_string(kWatchersPerApp) +
                                           " log watchers already; try again when one has gone (a watch lasts " +
                                           std::to_string(kLease.count()) + " s unless renewed)");
    w.until_usec[client] = loop_.now_usec() + std::chrono::microseconds(kLease).count();
}

void LogWatch::unwatch(const std::string& app, const std::string& client) {
    auto it = apps_.find(app);
    if (it == apps_.end()) return;
    it->second.until_usec.erase(client);
    if (it->second.until_usec.empty()) apps_.erase(it);
}

void LogWatch::line(const std::string& app, const TailLine& line) {
    if (apps_.empty()) return;
    auto it = apps_.find(app);
    if (it == apps_.end()) return;
    AppWatch& w = it->second;
    if (w.pending.size() >= kLinesPerSignal) {
        ++w.skipped;
        return;
    }
    w.pending.push_back(line);
    if (!timer_) timer_ = loop_.add_timer(kPeriod, [this] { on_timer(); });
}

void LogWatch::forget(const std::string& app) { apps_.erase(app); }

void LogWatch::on_timer() {
    timer_.reset();
    uint64_t now = loop_.now_usec();
    for (auto it = apps_.begin(); it != apps_.end();) {
        AppWatch& w = it->second;
        std::vector<std::string> clients;
        for (auto c = w.until_usec.begin(); c != w.until_usec.end();) {
            if (c->second <= now) {
                c = w.until_usec.erase(c);
                continue;
            }
            clients.push_back(c->first);
            ++c;
        }
        if (clients.empty()) {
            it = apps_.erase(it);
            continue;
        }
        if (!w.pending.empty() || w.skipped) send_(it->first, clients, w.pending, w.skipped);
        w.pending.clear();
        w.skipped = 0;
        ++it;
    }
}

}  // namespace pmd
