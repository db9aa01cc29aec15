#include "ctl/journal_logs.h"

#include <systemd/sd-journal.h>

#include <cstring>
#include <memory>
#include <iostream>
#include <stdexcept>

#include "ctl/log_files.h"

namespace pmd {
namespace {

std::string field(sd_journal* j, const char* name) {
    const void* data = nullptr;
    size_t length = 0;
    if (sd_journal_get_data(j, name, &data, &length) < 0) return {};
    std::string_view v(static_cast<const char*>(data), length);
    size_t eq = v.find('=');
    return std::string(eq == std::string_view::npos ? v : v.substr(eq + 1));
}

void print_entry(sd_journal* j, bool color) {
    std::string app = field(j, "PMD_APP");
    std::string instance = field(j, "PMD_INSTANCE");
    std::string stream = field(j, "PRIORITY") == "3" ? "err" : "out";
    std::cout << log_prefix(app, instance.empty() ? -1 : std::stoi(instance), stream, color) << field(j, "MESSAGE")
              << '\n';
}

}  // namespace

void show_journal_logs(const std::vector<std::string>& apps, size_t n, bool follow, const std::string& stream,
                       bool color) {
    sd_journal* j = nullptr;
    int r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
    if (r < 0)
        throw std::runtime_error(std::string("cannot open the journal: ") + std::strerror(-r) +
                                 " (run as root or as a member of systemd-journal)");
    std::unique_ptr<sd_journal, decltype(&sd_journal_close)> owner(j, sd_journal_close);
    // Opening succeeds with no journal file at all (no journald on this host, as in most
    // containers): printing nothing would read as "the app said nothing".
    uint64_t bytes = 0;
    if (sd_journal_get_usage(j, &bytes) < 0 || bytes == 0) {
        std::string names;
        for (const auto& app : apps) names += (names.empty() ? "" : ", ") + app;
        throw std::runtime_error("no journal to read (no journal file in /var/log/journal or /run/log/journal: is "
                                 "systemd-journald running?); " + names + (apps.size() == 1 ? " logs" : " log") +
                                 " to the journal only (log_sink), so its output is not kept anywhere pmctl can read");
    }
    for (const auto& app : apps) {
        std::string m = "PMD_APP=" + app;
        sd_journal_add_match(j, m.data(), m.size());
        if (!stream.empty()) {
            std::string p = stream == "err" ? "PRIORITY=3" : "PRIORITY=6";
            sd_journal_add_match(j, p.data(), p.size());
        }
        sd_journal_add_disjunction(j);
    }
    sd_journal_seek_tail(j);
    size_t back = 0;
    while (back < n && sd_journal_previous(j) > 0) ++back;
    if (back == 0) sd_journal_seek_tail(j);
    else sd_journal_previous_skip(j, 0);  // stay on the oldest of the last n
    // After seek_tail + previous(n), next() walks forward over those n entries.
    if (back > 0) {
        print_entry(j, color);
        while (--back > 0 && sd_journal_next(j) > 0) print_entry(j, color);
    }
    std::cout.flush();
    if (!follow) return;
    for (;;) {
        while (sd_journal_next(j) > 0) print_entry(j, color);
        std::cout.flush();
        if (!std::cout) return;
        if (sd_journal_wait(j, static_cast<uint64_t>(-1)) < 0) return;
    }
}

}  // namespace pmd
