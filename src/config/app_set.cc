#include "config/app_set.h"

#include <algorithm>
#include <map>

#include "base/error.h"
#include "config/app_file.h"

namespace pmd {

AppsDirContent read_apps_dir(const std::filesystem::path& dir, const AppSpec& defaults) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        if (!std::filesystem::exists(dir, ec)) return {};
        throw Error(Error::Kind::Failed, dir.string() + " is not a directory; apps_dir in pmd.toml must name one");
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        auto name = entry.path().filename().string();
        if (name.starts_with(".") || entry.path().extension() != ".toml") continue;
        if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());

    // Keep going after a bad file so one run shows every problem of the directory.
    AppsDirContent content;
    std::map<std::string, std::string> defined_in;
    auto problem = [&](const std::string& text) {
        content.problems += (content.problems.empty() ? "" : "\n") + text;
    };
    AppFileOptions options;
    options.defaults = defaults;
    for (const auto& file : files) {
        try {
            for (auto& app : load_app_file(file, options)) {
                auto [it, fresh] = defined_in.emplace(app.name, file.string());
                if (!fresh) {
                    problem(file.string() + ": app '" + app.name + "' is also defined in " + it->second +
                            "; names must be unique");
                    continue;
                }
                content.apps.push_back({std::move(app), file});
            }
        } catch (const Error& e) {
            problem(e.what());
        }
    }
    return content;
}

std::vector<AppSpec> load_apps_dir(const std::filesystem::path& dir, const AppSpec& defaults) {
    AppsDirContent content = read_apps_dir(dir, defaults);
    if (!content.problems.empty()) throw Error(Error::Kind::InvalidSpec, content.problems);
    std::vector<AppSpec> apps;
    for (auto& app : content.apps) apps.push_back(std::move(app.spec));
    return apps;
}

AppSetDiff diff_app_sets(const std::vector<AppSpec>& current, const std::vector<AppSpec>& wanted) {
    std::map<std::string, const AppSpec*> now;
    for (const auto& app : current) now.emplace(app.name, &app);
    AppSetDiff diff;
    for (const auto& app : wanted) {
        auto it = now.find(app.name);
        if (it == now.end())
            diff.added.push_back(app);
        else if (*it->second != app)
            diff.changed.push_back(app);
        else
            diff.unchanged.push_back(app.name);
        if (it != now.end()) now.erase(it);
    }
    for (const auto& app : current)
        if (now.contains(app.name)) diff.removed.push_back(app.name);
    return diff;
}

}  // namespace pmd
