#include "config/daemon_config.h"

#include <toml++/toml.h>

#include "base/quantity.h"
#include "config/app_fields.h"
#include "config/app_file.h"
#include "config/config_errors.h"
#include "config/did_you_mean.h"
#include "config/listen_address.h"

namespace pmd {
namespace {

constexpr std::string_view kDaemonKeys[] = {"log_dir",       "state_dir",    "apps_dir",       "resurrect",
                                            "admin_group",   "metrics_listen", "log_max_size", "log_max_files",
                                            "log_compress",  "log_sink",       "defaults"};
constexpr std::string_view kSinkNames[] = {"file", "journal", "both"};

void expect_absolute(const toml::node& node, std::string_view field, std::string& target, ConfigErrors& errors) {
    auto s = node.as_string();
    if (!s) return errors.add(node.source(), field, "expected an absolute path, got " + describe_toml_value(node));
    if (s->get().empty() || s->get()[0] != '/')
        return errors.add(node.source(), field, "'" + s->get() + "' is not an absolute path");
    target = s->get();
}

}  // namespace

std::string_view log_sink_name(DaemonConfig::LogSink sink) {
    switch (sink) {
        case DaemonConfig::LogSink::File:
            return "file";
        case DaemonConfig::LogSink::Journal:
            return "journal";
        case DaemonConfig::LogSink::Both:
            return "both";
    }
    return "file";
}

DaemonConfig parse_daemon_config_text(std::string_view toml_text, const std::string& source_name,
                                      const std::filesystem::path& base_dir) {
    ConfigErrors errors(source_name);
    DaemonConfig config;
    toml::table root = parse_toml_document(toml_text, errors);
    for (const auto& [key, node] : root) {
        std::string_view name = key.str();
        if (name == "log_dir") {
            expect_absolute(node, name, config.log_dir, errors);
        } else if (name == "state_dir") {
            expect_absolute(node, name, config.state_dir, errors);
        } else if (name == "apps_dir") {
            expect_absolute(node, name, config.apps_dir, errors);
        } else if (name == "resurrect") {
            if (auto b = node.as_boolean())
                config.resurrect = b->get();
            else
                errors.add(node.source(), name, "expected true or false, got " + describe_toml_value(node));
        } else if (name == "admin_group") {
            if (auto s = node.as_string())
                config.admin_group = s->get();
            else
                errors.add(node.source(), name, "expected a group name, got " + describe_toml_value(node));
        } else if (name == "metrics_listen") {
            auto s = node.as_string();
            std::string why;
            if (!s)
                errors.add(node.source(), name,
                           "expected an address like \"tcp:127.0.0.1:9615\", got " + describe_toml_value(node));
            else if (!s->get().empty() && !parse_listen_address(s->get(), &why))
                errors.add(node.source(), name, "'" + s->get() + "': " + why);
            else
                config.metrics_listen = s->get();
        } else if (name == "log_max_size") {
            std::optional<uint64_t> size;
            if (auto i = node.as_integer(); i && i->get() > 0)
                size = static_cast<uint64_t>(i->get());
            else if (auto s = node.as_string())
                size = parse_size(s->get());
            if (size && *size > 0)
                config.log_max_size = *size;
            else
                errors.add(node.source(), name,
                           "expected a size like \"10M\" or a number of bytes, got " + describe_toml_value(node));
        } else if (name == "log_max_files") {
            if (auto i = node.as_integer(); i && i->get() >= 0 && i->get() <= 10000)
                config.log_max_files = static_cast<uint32_t>(i->get());
            else
                errors.add(node.source(), name,
                           "expected a whole number from 0 to 10000, got " + describe_toml_value(node));
        } else if (name == "log_compress") {
            if (auto b = node.as_boolean())
                config.log_compress = b->get();
            else
                errors.add(node.source(), name, "expected true or false, got " + describe_toml_value(node));
        } else if (name == "log_sink") {
            auto s = node.as_string();
            if (s && s->get() == "file")
                config.log_sink = DaemonConfig::LogSink::File;
            else if (s && s->get() == "journal")
                config.log_sink = DaemonConfig::LogSink::Journal;
            else if (s && s->get() == "both")
                config.log_sink = DaemonConfig::LogSink::Both;
            else
                errors.add(node.source(), name,
                           "expected \"file\", \"journal\" or \"both\", got " + describe_toml_value(node) +
                               (s ? did_you_mean_suffix(s->get(), kSinkNames) : ""));
        } else if (name == "defaults") {
            if (auto table = node.as_table())
                decode_app_table(*table, {base_dir, "", true}, config.defaults, errors);
            else
                errors.add(node.source(), name,
                           "expected a [defaults] table of app keys, got " + describe_toml_value(node));
        } else {
            std::string hint = did_you_mean_suffix(name, kDaemonKeys);
            // An app key at the top level most likely belongs under [defaults].
            for (auto app_key : app_table_keys())
                if (hint.empty() && app_key == name) hint = " (app settings go under [defaults])";
            errors.add(key.source(), name, "unknown key" + hint);
        }
    }
    errors.throw_if_any();
    return config;
}

DaemonConfig load_daemon_config(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec) && !ec) return {};
    return parse_daemon_config_text(read_text_file(path), path.string(), std::filesystem::absolute(path).parent_path());
}

}  // namespace pmd
