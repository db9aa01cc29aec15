#include "god/declared_apps.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <set>

#include "config/app_dump.h"
#include "config/app_file.h"
#include "config/app_set.h"
#include "config/atomic_file.h"
#include "config/spec_validation.h"

namespace pmd {
namespace {

std::filesystem::path normal(const std::filesystem::path& p) {
    if (p.empty()) return p;  // pmd run: no apps_dir
    return std::filesystem::absolute(p).lexically_normal();
}

std::string file_source(const std::filesystem::path& file) { return "file:" + normal(file).string(); }

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += (out.empty() ? "" : "\n") + line;
    return out;
}

}  // namespace

DeclaredApps::DeclaredApps(Manager& manager, DeclaredAppsSettings settings)
    : manager_(manager), settings_(std::move(settings)) {
    settings_.apps_dir = normal(settings_.apps_dir);
}

bool DeclaredApps::from_apps_dir(const App& app) const {
    if (!app.source.starts_with("file:")) return false;
    return std::filesystem::path(app.source.substr(5)).parent_path() == settings_.apps_dir;
}

void DeclaredApps::boot() {
    AppsDirContent content;
    try {
        content = read_apps_dir(settings_.apps_dir, settings_.defaults);
    } catch (const std::exception& e) {
        spdlog::error("cannot read apps_dir: {}; no app file was started", e.what());
    }
    if (!content.problems.empty())
        spdlog::error("apps_dir {} has errors; the apps of these files were not started (fix them, then "
                      "pmctl daemon-reload):\n{}",
                      settings_.apps_dir.string(), content.problems);
    for (auto& app : content.apps) {
        try {
            std::string name = app.spec.name;
            manager_.start(app.spec, 0, file_source(app.file));
            declared_[name] = std::move(app.spec);
            spdlog::info("started app {} from {}", name, app.file.string());
        } catch (const std::exception& e) {
            spdlog::error("app {} of {} did not start: {}", app.spec.name, app.file.string(), e.what());
        }
    }
    if (!settings_.resurrect_at_boot) return;
    try {
        auto started = resurrect(0);
        if (!started.empty())
            spdlog::info("resurrected {} app(s) from {}", started.size(), settings_.dump_path.string());
    } catch (const std::exception& e) {
        spdlog::error("resurrect from {} at start: {}", settings_.dump_path.string(), e.what());
    }
}

std::vector<AppSpec> DeclaredApps::read_file(const std::filesystem::path& path, const std::string& profile,
                                             const std::vector<std::string>& only) const {
    AppFileOptions options;
    options.profile = profile;
    options.defaults = settings_.defaults;
    std::vector<AppSpec> all = load_app_file(path, options);
    std::vector<AppSpec> chosen;
    for (auto& spec : all)
        if (only.empty() || std::find(only.begin(), only.end(), spec.name) != only.end()) chosen.push_back(std::move(spec));
    std::vector<std::string> problems;
    for (const auto& name : only) {
        bool known = std::any_of(chosen.begin(), chosen.end(), [&](const AppSpec& s) { return s.name == name; });
        if (!known) problems.push_back("--only " + name + ": " + path.string() + " defines no app of that name");
    }
    for (const auto& spec : chosen) {
        if (manager_.find(spec.name))
            problems.push_back("app '" + spec.name + "' exists already (pmctl delete it first, or --only the others)");
        try {
            AppSpec checked = spec;
            if (checked.cwd.empty()) checked.cwd = "/";
            validate_spec(checked);
        } catch (const Error& e) {
            problems.push_back(e.what());
        }
    }
    if (!problems.empty())
        throw Error(Error::Kind::InvalidSpec, path.string() + ": nothing was started:\n" + joined(problems));
    return chosen;
}

std::vector<std::string> DeclaredApps::start_file_apps(std::vector<AppSpec> specs, const std::filesystem::path& path,
                                                       uid_t owner) {
    std::vector<std::string> started;
    for (auto& spec : specs) {
        std::string name = spec.name;
        AppSpec declared = spec;
        try {
            manager_.start(std::move(spec), owner, file_source(path));
        } catch (const Error& e) {
            // All or nothing: what this request started goes again (asynchronously; the answer
            // does not wait for it).
            for (const auto& done : started) manager_.remove(done, [](std::optional<Error>) {});
            throw Error(e.kind(), "app '" + name + "' of " + path.string() + ": " + e.what() +
                                      (started.empty() ? "" : " (the apps started before it are being deleted)"));
        }
        declared_[name] = std::move(declared);
        started.push_back(name);
    }
    return started;
}

std::filesystem::path DeclaredApps::save() const {
    std::vector<AppSpec> specs;
    std::set<std::string> stopped;
    for (const App* app : manager_.apps()) {
        specs.push_back(app->spec);
        if (app->stop_requested) stopped.insert(app->spec.name);
    }
    write_file_atomically(settings_.dump_path, dump_apps(specs, stopped), 0600);
    return settings_.dump_path;
}

std::vector<std::string> DeclaredApps::resurrect(uid_t owner) {
    std::vector<std::string> started, failed;
    std::set<std::string> stopped;
    for (auto& spec : load_dump(settings_.dump_path, &stopped)) {
        if (manager_.find(spec.name)) continue;  // idempotent: running apps are left as they are
        std::string name = spec.name;
        try {
            // A stopped app comes back stopped, as PM2 resurrects it: known, not running.
            manager_.start(std::move(spec), owner, "dump", stopped.count(name) > 0);
            started.push_back(name);
        } catch (const std::exception& e) {
            failed.push_back(name + ": " + e.what());
        }
    }
    if (!failed.empty())
        throw Error(Error::Kind::Failed, "resurrect from " + settings_.dump_path.string() + ": these apps did not start:\n" +
                                             joined(failed) + (started.empty() ? "" : "\nstarted: " + joined(started)));
    return started;
}

void DeclaredApps::reload(ReloadDone done) {
    AppsDirContent content;
    try {
        content = read_apps_dir(settings_.apps_dir, settings_.defaults);
    } catch (const Error& e) {
        return done(e, {});
    }
    if (!content.problems.empty())
        return done(Error(Error::Kind::InvalidSpec, "apps_dir " + settings_.apps_dir.string() +
                                                        " has errors; nothing was changed:\n" + content.problems),
                    {});

    auto summary = std::make_shared<ReloadSummary>();
    std::vector<AppSpec> current, wanted;
    std::map<std::string, std::filesystem::path> file_of;
    for (const App* app : manager_.apps()) {
        if (!from_apps_dir(*app)) continue;
        auto it = declared_.find(app->spec.name);
        current.push_back(it != declared_.end() ? it->second : app->spec);
    }
    for (auto& app : content.apps) {
        const App* running = manager_.find(app.spec.name);
        if (running && !from_apps_dir(*running)) {
            summary->skipped.push_back(app.spec.name + ": an app of that name was started from " + running->source +
                                       "; delete it to let " + app.file.string() + " manage it");
            continue;
        }
        file_of[app.spec.name] = app.file;
        wanted.push_back(std::move(app.spec));
    }
    AppSetDiff diff = diff_app_sets(current, wanted);

    // Every removal is asynchronous (stop, then forget); `done` runs when the last one settled.
    auto pending = std::make_shared<size_t>(1);
    auto finish = [summary, pending, done]() {
        if (--*pending == 0) done(std::nullopt, *summary);
    };
    auto start = [this, summary, file_of](const AppSpec& spec, std::vector<std::string>& list) {
        try {
            manager_.start(spec, 0, file_source(file_of.at(spec.name)));
            declared_[spec.name] = spec;
            list.push_back(spec.name);
        } catch (const std::exception& e) {
            summary->errors.push_back(spec.name + ": " + e.what());
        }
    };
    summary->unchanged = diff.unchanged;
    for (const auto& name : diff.removed) {
        ++*pending;
        manager_.remove(name, [this, summary, name, finish](std::optional<Error> error) {
            if (error) summary->errors.push_back(name + ": " + error->what());
            else summary->removed.push_back(name);
            declared_.erase(name);
            finish();
        });
    }
    for (const auto& spec : diff.changed) {
        ++*pending;
        std::filesystem::path file = file_of.at(spec.name);
        manager_.update_spec(spec.name, spec, [this, summary, spec, file, finish](std::optional<Error> error, SpecUpdate how) {
            if (error) {
                // declared_ keeps what the file said before: the next daemon-reload retries.
                summary->errors.push_back(spec.name + ": " + error->what() + " (fix " + file.string() +
                                          " or what it needs, then pmctl daemon-reload)");
                finish();
                return;
            }
            declared_[spec.name] = spec;
            summary->changed.push_back(spec.name);
            switch (how.how) {
                case SpecUpdate::How::Reloaded: summary->reloaded.push_back(spec.name); break;
                case SpecUpdate::How::Restarted: summary->restarted.push_back(spec.name + ": " + how.why); break;
                case SpecUpdate::How::Updated: summary->updated.push_back(spec.name); break;
            }
            finish();
        });
    }
    for (const auto& spec : diff.added) start(spec, summary->added);
    finish();
}

}  // namespace pmd
