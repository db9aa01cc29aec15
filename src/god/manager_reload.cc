// Rolling reload and scale: operations on an app's set of slots.
#include "god/manager.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <tuple>

#include <spdlog/spdlog.h>

#include "base/quantity.h"
#include "base/signal_name.h"
#include "cluster/bind_protocol.h"
#include "cluster/elf_linking.h"
#include "cluster/preload_path.h"
#include "config/spec_validation.h"
#include "god/log_dirs.h"
#include "god/pid_file.h"
#include "satan/process_limits.h"


namespace pmd {

// Whether the instances serve on sockets they share: cluster mode's, or the app file's listen
// list. The kernel hands a new connection on such a socket to whichever process accepts first,
// and a busy old instance beats an idle replacement, so a connection cut by a stopping instance
// mostly lands on an old one that stops later. These apps keep every old instance until every
// replacement is ready, then stop them together: each connection is cut at most once.
static bool shares_sockets(const AppSpec& spec) {
    return spec.exec_mode == AppSpec::ExecMode::Cluster || !spec.listen.empty();
}

void Manager::reload(const std::string& name, Done done) {
    for_each_app(name, [this](const std::string& app_name, Done one) {
        App& app = *apps_[app_name];
        if (app.busy()) {
            one(Error(Error::Kind::Busy, "app '" + app_name + "' is already being reloaded"));
            return;
        }
        app.operation = App::Operation::Reload;
        spdlog::info("app {}: rolling reload of {} instance(s), {} at a time{}", app_name, app.instances.size(),
                     std::max(1u, app.spec.reload_batch),
                     shares_sockets(app.spec) ? "; the old ones stop together once all new ones are ready" : "");
        changed(app);
        reload_step(app.id, app_name, 0, {}, std::move(one));
    }, std::move(done));
}

namespace {

Error deleted_during_reload(const std::string& name) {
    return Error(Error::Kind::NoSuchApp, "app '" + name + "' was deleted during its reload");
}

bool is_one_of(const std::vector<uint64_t>& serials, const Instance& i) {
    return std::find(serials.begin(), serials.end(), i.serial) != serials.end();
}

}  // namespace

// The instances the replacements (by serial) are to take the slots of.
std::vector<Instance*> Manager::old_instances_of(App& app, const std::vector<uint64_t>& replacements) {
    std::vector<Instance*> old;
    for (const auto& in : app.incoming)
        if (is_one_of(replacements, *in) && in->index < app.instances.size())
            old.push_back(app.instances[in->index].get());
    return old;
}

void Manager::finish_reload(const std::string& name, uint64_t app_id, std::optional<Error> error, Done done) {
    if (App* app = same_app(app_id, name)) {
        app->operation = App::Operation::None;
        changed(*app);
        if (error) spdlog::error("{}", error->what());
        else spdlog::info("app {}: reload done", name);
    }
    done(error);
}

// One batch: start replacements for slots [first, first + batch) and wait until every one is
// ready. Then, without shared sockets, stop the old instances of those slots, move the
// replacements in and go on; with them (shares_sockets), go on at once, the ready replacements
// in `standing`, and retire every old instance after the last batch. The first replacement
// that fails stops the reload: the replacements not yet moved in stop, and their slots keep
// their old instances.
void Manager::reload_step(uint64_t app_id, const std::string& name, size_t first, std::vector<uint64_t> standing,
                          Done done) {
    App* found = same_app(app_id, name, AppBeingDeleted::IsGone);
    if (!found) {
        done(deleted_during_reload(name));
        return;
    }
    App& app = *found;
    size_t batch = std::max(1u, app.spec.reload_batch);
    size_t end = std::min(app.instances.size(), first + batch);
    if (first >= end) {
        if (standing.empty()) {
            finish_reload(name, app_id, std::nullopt, std::move(done));
            return;
        }
        // A replacement may have crashed and restarted since it was ready: it must be ready
        // again before the old instances go.
        when_ready(app_id, name, standing, [this, app_id, name, standing, done](std::optional<std::string> failure) {
            if (failure) {
                abort_reload(app_id, name, standing,
                             Error(Error::Kind::Failed, "reload of '" + name + "' stopped: a new instance " + *failure +
                                                            "; the old instances keep serving"),
                             done);
                return;
            }
            spdlog::info("app {}: reload: all {} new instance(s) ready; stopping the old ones", name, standing.size());
            retire(app_id, name, standing, [this, app_id, name, done] { finish_reload(name, app_id, std::nullopt, done); },
                   done);
        });
        return;
    }
    std::vector<uint64_t> replacements;
    try {
        for (size_t slot = first; slot < end; ++slot) {
            Instance& old = *app.instances[slot];
            auto fresh = make_instance(app, old.index, ++app.last_generation);
            fresh->restarts = old.restarts + 1;
            fresh->want_running = true;
            Instance& ref = *fresh;
            app.incoming.push_back(std::move(fresh));
            replacements.push_back(ref.serial);
            spawn_instance(app, ref);
        }
    } catch (const Error& e) {
        replacements.insert(replacements.end(), standing.begin(), standing.end());
        abort_reload(app_id, name, replacements,
                     Error(Error::Kind::Failed, "reload of '" + name + "' stopped: " + e.what() +
                                                    "; the old instances keep serving"),
                     done);
        return;
    }
    bool together = shares_sockets(app.spec);
    when_ready(app_id, name, replacements,
               [this, app_id, name, end, together, replacements, standing, done](std::optional<std::string> failure) mutable {
                   if (failure) {
                       replacements.insert(replacements.end(), standing.begin(), standing.end());
                       abort_reload(app_id, name, replacements,
                                    Error(Error::Kind::Failed, "reload of '" + name + "' stopped: a new instance " +
                                                                   *failure + "; the old instances keep serving"),
                                    done);
                       return;
                   }
                   if (together) {
                       standing.insert(standing.end(), replacements.begin(), replacements.end());
                       reload_step(app_id, name, end, std::move(standing), done);
                       return;
                   }
                   retire(app_id, name, replacements,
                          [this, app_id, name, end, done] { reload_step(app_id, name, end, {}, done); }, done);
               });
}

// Calls `then` once every replacement in `serials` has settled: with nothing if all are
// ready, else with why one is not. One that is not running fails at once: no readiness is due.
void Manager::when_ready(uint64_t app_id, const std::string& name, const std::vector<uint64_t>& serials,
                         std::function<void(std::optional<std::string>)> then) {
    struct Waiting {
        size_t left;
        std::optional<std::string> failure;
        std::function<void(std::optional<std::string>)> then;
    };
    auto state = std::make_shared<Waiting>(Waiting{serials.size() + 1, std::nullopt, std::move(then)});
    auto settle = [state](bool ready, const std::string& why) {
        if (!ready && !state->failure) state->failure = why;
        if (--state->left == 0) state->then(state->failure);
    };
    for (uint64_t serial : serials) {
        Instance* i = lookup({app_id, name, serial});
        if (!i) settle(false, "is gone");
        else if (i->state != InstanceState::Online)
            settle(false, "stopped running after it was ready" +
                              (i->last_exit ? " (" + i->last_exit->description + ")" : std::string()));
        else if (i->ready) settle(true, "");
        else i->on_ready.push_back(settle);  // a restart after a crash: ready again, or not
    }
    settle(true, "");  // the extra count: `then` runs once, after every instance was looked at
}

// Stops the old instance of each replacement's slot, all at once, moves the replacements in,
// then calls `then`. Where the old and new instances share listening sockets, the old ones are
// frozen first and thawed once each has its stop signal: signalled one after another, a
// connection the first one cut could reconnect to one not yet signalled (pmd preempted in
// between) and be cut again. Frozen, none accepts; the kernel hands every reconnection to a
// new instance, and each old one takes its signal before it runs again.
void Manager::retire(uint64_t app_id, const std::string& name, std::vector<uint64_t> replacements,
                     std::function<void()> then, Done done) {
    App* app = same_app(app_id, name);
    if (!app) {
        done(deleted_during_reload(name));
        return;
    }
    if (!shares_sockets(app->spec)) {
        stop_retired(app_id, name, std::move(replacements), std::move(then), std::move(done));
        return;
    }
    std::vector<Instance*> old = old_instances_of(*app, replacements);
    std::erase_if(old, [](const Instance* i) { return i->state != InstanceState::Online; });
    freeze_then(*app, old, [this, app_id, name, replacements, then, done](std::vector<InstanceKey> frozen) {
        stop_retired(app_id, name, replacements, then, done);
        thaw(frozen);
    });
}

void Manager::freeze_then(App& app, const std::vector<Instance*>& targets,
                          std::function<void(std::vector<InstanceKey>)> then) {
    struct Freezing {
        size_t left = 1;
        std::vector<InstanceKey> asked;
        std::vector<std::unique_ptr<ScopeWatch>> watches;
        EventSource bound;
        std::function<void(std::vector<InstanceKey>)> then;
    };
    auto state = std::make_shared<Freezing>();
    state->then = std::move(then);
    // Weak in the watches: the bound's timer alone keeps the state, until it is settled.
    std::weak_ptr<Freezing> weak = state;
    auto settle = [weak] {
        auto s = weak.lock();
        if (!s || !s->then || --s->left > 0) return;
        s->watches.clear();
        s->bound = {};
        std::exchange(s->then, nullptr)(std::move(s->asked));
    };
    for (Instance* i : targets) {
        ++state->left;
        if (auto watch = i->scope->freeze(settle)) {
            state->asked.push_back(key_of(app, *i));
            state->watches.push_back(std::move(watch));
        } else {
            settle();
        }
    }
    state->bound = loop_.add_timer(std::chrono::seconds(1), [state] {
        spdlog::warn("{} instance(s) not frozen after 1 s; signalling them anyway", state->left - 1);
        state->left = 1;
        state->watches.clear();
        auto keep = state;  // this timer, and the lambda holding `state`, go with `bound`
        keep->bound = {};
        std::exchange(keep->then, nullptr)(std::move(keep->asked));
    });
    settle();  // the extra count: `then` runs once, after every target was asked
}

void Manager::thaw(const std::vector<InstanceKey>& keys) {
    for (const auto& key : keys)
        if (Instance* i = lookup(key); i && i->scope) i->scope->thaw();
}

void Manager::stop_retired(uint64_t app_id, const std::string& name, std::vector<uint64_t> replacements,
                           std::function<void()> then, Done done) {
    App* app = same_app(app_id, name);
    if (!app) {
        done(deleted_during_reload(name));
        return;
    }
    when_all(old_instances_of(*app, replacements),
             [this, app](Instance& i, std::function<void()> d) { stop_instance(*app, i, std::move(d)); },
             [this, app_id, name, replacements, then, done] {
                 App* still = same_app(app_id, name);
                 if (!still) {
                     done(deleted_during_reload(name));
                     return;
                 }
                 App& a = *still;
                 for (uint64_t serial : replacements) {
                     auto in = std::find_if(a.incoming.begin(), a.incoming.end(),
                                            [&](const auto& i) { return i->serial == serial; });
                     if (in == a.incoming.end() || (*in)->index >= a.instances.size()) continue;
                     if (auto& old = a.instances[(*in)->index]->scope) old->remove();
                     a.instances[(*in)->index] = std::move(*in);
                     a.incoming.erase(in);
                 }
                 changed(a);
                 then();
             });
}

// Stops the replacements a reload started, forgets them and their cgroups, and answers with
// `error`; the slots they were meant to replace keep their old instances.
void Manager::abort_reload(uint64_t app_id, const std::string& name, std::vector<uint64_t> replacements, Error error,
                           Done done) {
    App* app = same_app(app_id, name);
    if (!app) {
        done(error);
        return;
    }
    std::vector<Instance*> started;
    for (Instance* i : app->all_instances())
        if (is_one_of(replacements, *i)) started.push_back(i);
    when_all(started, [this, app](Instance& i, std::function<void()> d) { stop_instance(*app, i, std::move(d)); },
             [this, app_id, name, replacements, error, done] {
                 if (App* still = same_app(app_id, name)) {
                     auto& incoming = still->incoming;
                     for (auto& i : incoming)
                         if (i->scope && is_one_of(replacements, *i)) i->scope->remove();
                     std::erase_if(incoming, [&](const auto& i) { return is_one_of(replacements, *i); });
                 }
                 finish_reload(name, app_id, error, done);
             });
}

void Manager::scale(const std::string& name, uint32_t count, Done done) {
    try {
        App& app = get(name);
        uint32_t requested = count;  // 0 ("max") stays symbolic in the spec, as in the app file
        count = instance_count(count);
        if (count > SpecLimits::max_instances)
            throw Error(Error::Kind::InvalidSpec, "instances: " + std::to_string(count) + " is more than the limit of " +
                                                      std::to_string(SpecLimits::max_instances));
        if (app.busy()) throw Error(Error::Kind::Busy, "app '" + name + "' is being reloaded; scale it afterwards");
        uint32_t current = static_cast<uint32_t>(app.instances.size());
        app.spec.instances = requested;
        if (count >= current) {
            std::optional<Error> error;
            for (uint32_t i = current; i < count; ++i) {
                app.instances.push_back(make_instance(app, i, ++app.last_generation));
                app.instances.back()->want_running = true;
                try {
                    spawn_instance(app, *app.instances.back());
                } catch (const Error& e) {
                    if (!error) error = e;
                }
            }
            spdlog::info("app {}: scaled from {} to {} instance(s)", name, current, count);
            changed(app);
            done(error);
            return;
        }
        std::vector<Instance*> surplus;
        for (uint32_t i = count; i < current; ++i) surplus.push_back(app.instances[i].get());
        uint64_t id = app.id;
        when_all(surplus, [this, &app](Instance& i, std::function<void()> d) { stop_instance(app, i, std::move(d)); },
                 [this, id, name, count, current, done] {
                     App* still = same_app(id, name);
                     if (!still) {
                         done(Error(Error::Kind::NoSuchApp, "app '" + name + "' was deleted while scaling"));
                         return;
                     }
                     App& a = *still;
                     // Only the slots that are still surplus and down go; a scale up in between keeps them.
                     while (a.instances.size() > instance_count(a.spec.instances) && !a.instances.back()->running()) {
                         if (auto& scope = a.instances.back()->scope) scope->remove();
                         a.instances.pop_back();
                     }
                     spdlog::info("app {}: scaled from {} to {} instance(s)", name, current, count);
                     changed(a);
                     done(std::nullopt);
                 });
    } catch (const Error& e) {
        done(e);
    }
}

}  // namespace pmd
