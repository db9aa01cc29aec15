#include "config/daemon_config_text.h"

#include "config/app_dump.h"
#include "config/toml_text.h"

namespace pmd {

std::string daemon_config_text(const DaemonConfig& c) {
    std::string out;
    auto line = [&](const char* key, const std::string& value) { out += std::string(key) + " = " + value + "\n"; };
    line("log_dir", toml_string(c.log_dir));
    line("state_dir", toml_string(c.state_dir));
    line("apps_dir", toml_string(c.apps_dir));
    line("resurrect", c.resurrect ? "true" : "false");
    line("admin_group", toml_string(c.admin_group));
    line("metrics_listen", toml_string(c.metrics_listen));
    line("log_max_size", toml_string(exact_size_text(c.log_max_size)));
    line("log_max_files", std::to_string(c.log_max_files));
    line("log_compress", c.log_compress ? "true" : "false");
    line("log_sink", toml_string(log_sink_name(c.log_sink)));
    // The dump writer leaves out what equals AppSpec{}, which is what [defaults] holds; it
    // always writes a name and a command, which are no defaults.
    std::string dumped = dump_apps({c.defaults});
    std::string defaults;
    size_t at = dumped.find("[[app]]\n");
    for (size_t pos = at == std::string::npos ? dumped.size() : at + 8; pos < dumped.size();) {
        size_t end = dumped.find('\n', pos);
        if (end == std::string::npos) end = dumped.size();
        std::string row = dumped.substr(pos, end - pos);
        if (!row.empty() && row != "name = \"\"" && row != "command = []") defaults += row + "\n";
        pos = end + 1;
    }
    if (!defaults.empty()) out += "\n[defaults]\n" + defaults;
    return out;
}

}  // namespace pmd
