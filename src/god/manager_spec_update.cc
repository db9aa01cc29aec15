// Manager::update_spec: a changed app file applied to the app that runs it (daemon-reload).
// A running app is rolled to the new spec by the rolling reload of `pmctl reload` (its sockets
// stay open, so no connection is refused), scaled to the new count around it: down before the
// roll (the surplus slots need no new spec), up after it (new slots start with the new spec
// at once). What a reload cannot apply (god/spec_change.h) is a restart, said in the answer.
//
// A failed roll (a new instance never became ready) must not leave the app half on each spec,
// with a spec in the Manager that no running instance has: the previous spec goes back, the
// slots the roll had already replaced are rolled back to it, the count is scaled back, and the
// caller gets the error. daemon-reload then keeps the file's previous spec as "what the file
// said", so the next daemon-reload tries again.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/spec_validation.h"
#include "god/manager.h"

#include "god/log_dirs.h"
#include "god/spec_change.h"

namespace pmd {

void Manager::update_spec(const std::string& name, AppSpec spec, UpdateDone done) {
    App* app = nullptr;
    std::optional<LaunchPlan> plan;
    std::optional<std::string> restart_why;
    bool running = false;
    try {
        app = &get(name);
        if (spec.name != name)
            throw Error(Error::Kind::InvalidSpec, "a spec named '" + spec.name + "' cannot replace app '" + name + "'");
        if (app->busy())
            throw Error(Error::Kind::Busy, "app '" + name + "' is being reloaded; daemon-reload again when it is done");
        if (spec.cwd.empty()) spec.cwd = "/";
        validate_spec(spec);
        // cwd, user and executable are checked before anything stops: a spec that cannot
        // launch changes nothing.
        plan = plan_for(spec);
        running = app->wanted_running();
        if (!running) {
            for (Instance* i : app->all_instances())
                if (i->running())
                    throw Error(Error::Kind::Busy, "app '" + name + "' is stopping; daemon-reload again when it has stopped");
            replace_while_down(*app, std::move(spec), std::move(*plan));
            spdlog::info("app {}: spec replaced; the app stays stopped", name);
        } else {
            restart_why = restart_needed_for(app->spec, spec);
        }
    } catch (const Error& e) {
        done(e, {});
        return;
    }
    if (!running) {
        done(std::nullopt, {SpecUpdate::How::Updated, ""});
        return;
    }
    if (restart_why) restart_with(*app, std::move(spec), std::move(*plan), std::move(*restart_why), std::move(done));
    else roll_to(*app, std::move(spec), std::move(*plan), std::move(done));
}

void Manager::install_spec(App& app, AppSpec spec, LaunchPlan plan, uint64_t spec_serial) {
    // Triggers read the spec (cron line, watched paths): they are set up again from the new one.
    app.cron_timer.reset();
    app.cron.reset();
    app.next_cron_usec = 0;
    app.file_watch.reset();
    app.spec = std::move(spec);
    app.plan = std::move(plan);
    app.spec_serial = spec_serial;
    start_triggers(app);
    changed(app);
}

// Only while no instance runs: slots are added or dropped without a process to start or stop,
// and every slot's restart policy follows the new spec.
void Manager::resize_stopped(App& app) {
    size_t count = instance_count(app.spec.instances);
    while (app.instances.size() > count) {
        if (auto& scope = app.instances.back()->scope) scope->remove();
        app.instances.pop_back();
    }
    while (app.instances.size() < count)
        app.instances.push_back(make_instance(app, static_cast<unsigned>(app.instances.size()), ++app.last_generation));
    for (auto& i : app.instances) i->policy = RestartPolicy(app.spec);
}

// The sockets and the log route of the app, from `from` to app.spec; only while no instance
// runs. On failure both are as `from` had them (as far as the kernel lets: an address taken
// meanwhile by someone else is logged) and the error is thrown.
void Manager::reroute(App& app, const AppSpec& from) {
    const AppSpec& to = app.spec;
    auto bind = [this, &app](const AppSpec& s) {
        store_sockets(app, false);
        // Closed before binding: the new set may share an address with the old one.
        app.sockets = ListenSocketSet();
        if (!s.listen.empty() && !s.reuse_port) app.sockets = ListenSocketSet::bind_all(s.listen, s.name);
        store_sockets(app, true);
    };
    auto restore_sockets = [&] {
        try {
            bind(from);
        } catch (const Error& e) {
            spdlog::error("app {}: its previous listen sockets could not be bound again: {}", to.name, e.what());
        }
    };
    bool sockets = sockets_differ(from, to);
    if (sockets) {
        try {
            bind(to);
        } catch (const Error&) {
            restore_sockets();
            throw;
        }
    }
    if (!log_route_differs(from, to)) return;
    output_.app_removed(to.name);
    try {
        make_log_dirs(to, log_opener_for(app.owner));
        output_.app_added(to, log_opener_for(app.owner));
    } catch (const Error&) {
        try {
            output_.app_added(from, log_opener_for(app.owner));
        } catch (const Error& e) {
            spdlog::error("app {}: its previous log files could not be opened again: {}", to.name, e.what());
        }
        if (sockets) restore_sockets();
        throw;
    }
}

// Spec, sockets, log route and slot count together, or (the error thrown) none of them.
void Manager::replace_while_down(App& app, AppSpec spec, LaunchPlan plan) {
    AppSpec from = app.spec;
    LaunchPlan from_plan = app.plan;
    uint64_t from_serial = app.spec_serial;
    install_spec(app, std::move(spec), std::move(plan), next_spec_serial_++);
    try {
        reroute(app, from);
    } catch (const Error&) {
        install_spec(app, std::move(from), std::move(from_plan), from_serial);
        throw;
    }
    resize_stopped(app);
    changed(app);
}

void Manager::restart_with(App& app, AppSpec spec, LaunchPlan plan, std::string why, UpdateDone done) {
    uint64_t id = app.id;
    std::string name = app.spec.name;
    spdlog::info("app {}: restarting with its new spec: {}", name, why);
    // No reload, scale or handover may start while the instances are down.
    app.operation = App::Operation::SpecRestart;
    changed(app);
    stop_app(app, [this, id, name, spec = std::move(spec), plan = std::move(plan), why, done]() mutable {
        App* still = same_app(id, name, AppBeingDeleted::IsGone);
        if (!still) {
            done(Error(Error::Kind::NoSuchApp, "app '" + name + "' was deleted during its restart"), {});
            return;
        }
        App& a = *still;
        a.operation = App::Operation::None;
        std::optional<Error> error;
        try {
            replace_while_down(a, std::move(spec), std::move(plan));
        } catch (const Error& e) {
            error = Error(e.kind(), "app '" + name + "': the new spec could not be applied (" + e.what() +
                                        "); it was started again with its previous spec");
        }
        for (auto& instance : a.instances) ++instance->restarts;
        start_instances(a, [error, why, done](std::optional<Error> start_error) {
            if (error) done(error, {});
            else done(start_error, {SpecUpdate::How::Restarted, why});
        });
    });
}

void Manager::roll_to(App& app, AppSpec spec, LaunchPlan plan, UpdateDone done) {
    uint64_t id = app.id;
    std::string name = app.spec.name;
    AppSpec old_spec = app.spec;
    LaunchPlan old_plan = app.plan;
    uint64_t old_serial = app.spec_serial;
    size_t old_count = app.instances.size();
    size_t new_count = instance_count(spec.instances);
    // From here every spawn of the app, replacement or respawn after a crash, uses the new spec.
    install_spec(app, std::move(spec), std::move(plan), next_spec_serial_++);
    spdlog::info("app {}: rolling to its new spec ({} -> {} instance(s))", name, old_count, new_count);

    auto after_roll = [this, id, name, old_spec, old_plan, old_serial, done](std::optional<Error> error) {
        if (error) {
            roll_back(id, name, old_spec, old_plan, old_serial, *error, done);
            return;
        }
        const App* still = same_app(id, name);
        if (!still) {
            done(Error(Error::Kind::NoSuchApp, "app '" + name + "' was deleted during its reload"), {});
            return;
        }
        const App& a = *still;
        if (instance_count(a.spec.instances) <= a.instances.size()) {
            done(std::nullopt, {SpecUpdate::How::Reloaded, ""});
            return;
        }
        scale(name, a.spec.instances, [done](std::optional<Error> e) { done(e, {SpecUpdate::How::Reloaded, ""}); });
    };
    auto roll = [this, name, after_roll] { reload(name, after_roll); };
    if (new_count < old_count)
        scale(name, app.spec.instances, [roll, after_roll](std::optional<Error> e) {
            if (e) after_roll(e);
            else roll();
        });
    else
        roll();
}

void Manager::roll_back(uint64_t app_id, const std::string& name, AppSpec old_spec, LaunchPlan old_plan,
                        uint64_t old_serial, Error error, UpdateDone done) {
    App* found = same_app(app_id, name);
    if (!found) {
        done(error, {});
        return;
    }
    App& app = *found;
    uint32_t old_instances = old_spec.instances;
    install_spec(app, std::move(old_spec), std::move(old_plan), old_serial);
    // The slots of the failed batch kept their old instance; those of earlier batches run the
    // new spec and are rolled back, so the whole app runs what its spec says.
    size_t on_new = std::count_if(app.instances.begin(), app.instances.end(),
                                  [&](const auto& i) { return i->running() && i->spec_serial != old_serial; });
    std::string what = "app '" + name + "' keeps its previous spec: " + error.what();
    auto scale_back = [this, app_id, name, old_instances, what, done](std::optional<Error> rollback_error) {
        std::string message = what;
        if (rollback_error) message += "; rolling back the instances already replaced failed too: " + std::string(rollback_error->what());
        auto finish = [message, done](std::optional<Error> scale_error) {
            std::string m = message;
            if (scale_error) m += "; scaling back failed: " + std::string(scale_error->what());
            done(Error(Error::Kind::Failed, m), {});
        };
        const App* still = same_app(app_id, name);
        if (!still || instance_count(old_instances) == still->instances.size()) {
            finish(std::nullopt);
            return;
        }
        scale(name, old_instances, finish);
    };
    if (on_new == 0) {
        scale_back(std::nullopt);
        return;
    }
    spdlog::warn("app {}: rolling {} instance(s) back to the previous spec", name, on_new);
    reload(name, scale_back);
}

}  // namespace pmd
