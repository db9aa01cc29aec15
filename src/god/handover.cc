#include "god/handover.h"

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "config/app_dump.h"

namespace pmd {
namespace {

constexpr int kFormat = 1;

using json = nlohmann::json;

// A partial line is whatever bytes the app wrote, not necessarily UTF-8 (which JSON needs).
std::string hex(const std::string& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string unhex(const std::string& text) {
    auto nibble = [](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        throw Error(Error::Kind::Failed, "bad hex digit in a pending log line");
    };
    if (text.size() % 2) throw Error(Error::Kind::Failed, "odd-length pending log line");
    std::string out;
    for (size_t i = 0; i < text.size(); i += 2) out += static_cast<char>(nibble(text[i]) * 16 + nibble(text[i + 1]));
    return out;
}

json stream_json(const LogStreamHandover& s) {
    return {{"read_fd", s.read_fd}, {"write_fd", s.write_fd}, {"pending_hex", hex(s.pending)}};
}

LogStreamHandover stream_from(const json& j) {
    return {j.at("read_fd").get<int>(), j.at("write_fd").get<int>(), unhex(j.value("pending_hex", ""))};
}

}  // namespace

std::string handover_to_json(const Handover& handover) {
    json apps = json::array();
    for (const AppHandover& a : handover.apps) {
        json instances = json::array();
        for (const InstanceHandover& i : a.instances) {
            json ij = {{"index", i.index},         {"generation", i.generation},
                       {"state", i.state},         {"want_running", i.want_running},
                       {"restarts", i.restarts},   {"pid", i.pid},
                       {"pidfd", i.pidfd},         {"started_usec", i.started_usec},
                       {"cpu_base_nsec", i.cpu_base_nsec},
                       {"ready", i.ready},         {"status_text", i.status_text},
                       {"channel_fd", i.channel_fd}};
            if (i.last_exit)
                ij["last_exit"] = {{"pid", i.last_exit->pid},
                                   {"reason", i.last_exit->reason},
                                   {"code", i.last_exit->code},
                                   {"description", i.last_exit->description}};
            instances.push_back(std::move(ij));
        }
        json slots = json::array();
        for (const LogSlotHandover& s : a.log_slots)
            slots.push_back({{"index", s.index}, {"out", stream_json(s.out)}, {"err", stream_json(s.err)}});
        apps.push_back({{"spec", dump_apps({a.spec})},
                        {"owner", a.owner},
                        {"source", a.source},
                        {"last_generation", a.last_generation},
                        {"stop_requested", a.stop_requested},
                        {"socket_fds", a.socket_fds},
                        {"shared_socket_fds", a.shared_socket_fds},
                        {"instances", std::move(instances)},
                        {"log_slots", std::move(slots)}});
    }
    json root = {{"format", kFormat},
                 {"pmd", PMD_VERSION},
                 {"notify_fd", handover.notify_fd},
                 {"apps", std::move(apps)}};
    // Status texts come from apps: invalid UTF-8 in them is replaced rather than fatal.
    return root.dump(-1, ' ', false, json::error_handler_t::replace);
}

Handover handover_from_json(std::string_view text, const std::string& origin) {
    Handover h;
    try {
        json root = json::parse(text);
        int format = root.at("format").get<int>();
        if (format != kFormat)
            throw Error(Error::Kind::Failed, "format " + std::to_string(format) + " (this pmd reads format " +
                                                 std::to_string(kFormat) + ")");
        h.notify_fd = root.value("notify_fd", -1);
        for (const json& aj : root.at("apps")) {
            AppHandover a;
            auto specs = parse_dump_text(aj.at("spec").get<std::string>(), origin);
            if (specs.size() != 1) throw Error(Error::Kind::Failed, "an app entry without exactly one spec");
            a.spec = std::move(specs.front());
            a.owner = aj.at("owner").get<uid_t>();
            a.source = aj.at("source").get<std::string>();
            a.last_generation = aj.value("last_generation", 0u);
            a.stop_requested = aj.value("stop_requested", false);
            a.socket_fds = aj.value("socket_fds", std::vector<int>{});
            a.shared_socket_fds = aj.value("shared_socket_fds", std::vector<int>{});
            for (const json& ij : aj.value("instances", json::array())) {
                InstanceHandover i;
                i.index = ij.at("index").get<unsigned>();
                i.generation = ij.value("generation", 0u);
                i.state = ij.value("state", "stopped");
                i.want_running = ij.value("want_running", false);
                i.restarts = ij.value("restarts", 0u);
                i.pid = ij.value("pid", 0);
                i.pidfd = ij.value("pidfd", -1);
                i.channel_fd = ij.value("channel_fd", -1);
                i.started_usec = ij.value("started_usec", uint64_t{0});
                i.cpu_base_nsec = ij.value("cpu_base_nsec", uint64_t{0});
                i.ready = ij.value("ready", false);
                i.status_text = ij.value("status_text", "");
                if (ij.contains("last_exit")) {
                    const json& e = ij.at("last_exit");
                    i.last_exit = ExitRecord{e.at("pid").get<pid_t>(), e.at("reason").get<std::string>(),
                                             e.at("code").get<int>(), e.at("description").get<std::string>()};
                }
                a.instances.push_back(std::move(i));
            }
            for (const json& sj : aj.value("log_slots", json::array()))
                a.log_slots.push_back({sj.at("index").get<unsigned>(), stream_from(sj.at("out")), stream_from(sj.at("err"))});
            h.apps.push_back(std::move(a));
        }
    } catch (const json::exception& e) {
        throw Error(Error::Kind::Failed, "cannot read " + origin + ": " + e.what());
    } catch (const Error& e) {
        throw Error(Error::Kind::Failed, "cannot read " + origin + ": " + e.what());
    }
    return h;
}

std::vector<int> handover_fds(const Handover& handover) {
    std::vector<int> fds;
    auto add = [&](int fd) {
        if (fd >= 0) fds.push_back(fd);
    };
    add(handover.notify_fd);
    for (const AppHandover& a : handover.apps) {
        for (int fd : a.socket_fds) add(fd);
        for (int fd : a.shared_socket_fds) add(fd);
        for (const InstanceHandover& i : a.instances) {
            add(i.pidfd);
            add(i.channel_fd);
        }
        for (const LogSlotHandover& s : a.log_slots)
            for (const LogStreamHandover* st : {&s.out, &s.err}) {
                add(st->read_fd);
                add(st->write_fd);
            }
    }
    return fds;
}

}  // namespace pmd
