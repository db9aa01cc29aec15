// The one table of app keys: every key an app table ([[app]], [defaults], a dump, a StartApp
// request) accepts, with the AppSpec member it sets, the kind of value it takes, what a
// daemon-reload of a running app can do when it changes, and a line of documentation.
//
// Everything that used to list keys by hand reads it: the file reader (config/app_fields)
// decodes each key of a plain kind through its member; the dump writer (config/app_dump)
// writes them in the table's order; app_table_keys() and the did-you-mean hints list them;
// god/spec_change asks it which changed keys are part of the log route; a unit test checks
// docs/config-reference.md and man/pmd.toml.5.scd against it. A key of a plain kind (text,
// flag, duration, size, count, limit) needs only its AppSpec member and its row here; a key
// of kind Custom also needs its reader in config/app_fields.cc and its writer in
// config/app_dump.cc (a unit test fails while one is missing).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "spec/app_spec.h"

namespace pmd {

enum class AppKeyKind {
    Text,      // a string (std::string member)
    Identity,  // a user or group name, or a numeric id kept as its text (std::string member)
    Flag,      // true or false (bool member)
    Duration,  // "5s", "1m30s", "250ms" or milliseconds (Millis member)
    Size,      // "512M" or bytes (uint64_t, or optional<uint64_t> where unset = pmd.toml's value)
    Count,     // a whole number (uint32_t/uint64_t, or optional<uint32_t> where unset = pmd.toml's)
    Limit,     // a whole number or "infinity" (optional<uint64_t>, unset = inherit pmd's)
    Custom,    // read and written by code of its own in config/
};

// What a daemon-reload does with a running app whose value of this key changed.
enum class AppKeyApply {
    Reload,    // a rolling reload: each new instance picks the value up at spawn
    Sockets,   // a restart: the sockets are bound once per app and shared by old and new instances
    LogRoute,  // a restart: the log pipes and files are set up once per app and shared likewise
};

using AppKeyMember = std::variant<std::monostate, std::string AppSpec::*, bool AppSpec::*, Millis AppSpec::*,
                                  uint64_t AppSpec::*, uint32_t AppSpec::*, std::optional<uint64_t> AppSpec::*,
                                  std::optional<uint32_t> AppSpec::*>;

struct AppKey {
    std::string_view key;
    AppKeyKind kind;
    AppKeyMember member;         // monostate: Custom, or an input-only spelling (see `written`)
    AppKeyApply apply = AppKeyApply::Reload;
    std::string_view doc;        // one line, for people
    bool one_app = false;        // names one app ([defaults] refuses it): name, script, command...
    bool written = true;         // the dump writes it (false: an alias or input such as uid, script)
    uint64_t max = 0;            // Count: the largest value accepted
    // Custom keys a reload cannot apply: whether a and b hold the same value.
    bool (*same)(const AppSpec& a, const AppSpec& b) = nullptr;
};

// In the dump's order; sub-tables (env, health_check) last, since after [app.env] every key is
// the sub-table's.
std::span<const AppKey> app_keys();

// nullptr when `key` is no app key.
const AppKey* find_app_key(std::string_view key);

// The written keys whose value differs between a and b and whose change a reload cannot apply
// as `apply` says, in table order.
std::vector<std::string> changed_app_keys(const AppSpec& a, const AppSpec& b, AppKeyApply apply);

}  // namespace pmd
