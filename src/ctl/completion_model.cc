#include "ctl/completion_model.h"

#include <algorithm>

namespace pmd {
namespace {

// "{fork,cluster}" (IsMember's description) → {"fork", "cluster"}.
std::vector<std::string> set_items(const std::string& described) {
    std::vector<std::string> items;
    auto open = described.find('{');
    auto close = described.rfind('}');
    if (open == std::string::npos || close == std::string::npos || close < open) return items;
    std::string inner = described.substr(open + 1, close - open - 1);
    size_t start = 0;
    while (start <= inner.size()) {
        auto comma = inner.find(',', start);
        std::string item = inner.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!item.empty()) items.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return items;
}

CompletionValue value_of(const CLI::Option& opt) {
    std::string type = opt.get_type_name();
    CompletionValue v;
    auto colon = type.find(':');
    std::string head = type.substr(0, colon);
    if (colon != std::string::npos) {
        v.choices = set_items(type.substr(colon + 1));
        if (!v.choices.empty()) {
            v.kind = "choices";
            return v;
        }
    }
    static const std::vector<std::pair<std::string, std::string>> kinds{
        {"APP", "app"},   {"APP|all", "app_or_all"}, {"SCRIPT", "script"}, {"FILE", "file"},
        {"DIR", "dir"},   {"USER", "user"},          {"HOST", "host"},     {"SIGNAL", "signal"}};
    for (const auto& [name, kind] : kinds)
        if (head == name) v.kind = kind;
    return v;
}

CompletionOption option_of(const CLI::Option& opt) {
    CompletionOption o;
    for (const auto& s : opt.get_snames()) o.shorts.push_back("-" + s);
    for (const auto& l : opt.get_lnames()) o.longs.push_back("--" + l);
    o.help = opt.get_description();
    // A flag with a default value (`--timestamp{FORMAT}`) takes its value only as --flag=VALUE.
    o.takes_value = opt.get_expected_max() != 0;
    o.repeatable = opt.get_expected_max() > 1 || opt.get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll;
    if (o.takes_value) o.value = value_of(opt);
    return o;
}

void add_options(const CLI::App& app, std::vector<CompletionOption>& options, std::vector<CompletionPositional>* positionals) {
    for (const CLI::Option* opt : app.get_options()) {
        if (opt->get_positional()) {
            if (!positionals) continue;
            CompletionPositional p;
            p.name = opt->get_name(true);
            p.help = opt->get_description();
            p.repeats = opt->get_expected_max() > 1;
            p.value = value_of(*opt);
            positionals->push_back(std::move(p));
            continue;
        }
        if (opt->get_group().empty()) continue;  // hidden
        options.push_back(option_of(*opt));
    }
}

nlohmann::json value_json(const CompletionValue& v) {
    nlohmann::json j{{"kind", v.kind}};
    if (!v.choices.empty()) j["choices"] = v.choices;
    return j;
}

nlohmann::json options_json(const std::vector<CompletionOption>& options) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& o : options) {
        nlohmann::json names = o.shorts;
        for (const auto& l : o.longs) names.push_back(l);
        out.push_back({{"names", names}, {"help", o.help}, {"takes_value", o.takes_value}, {"repeatable", o.repeatable},
                       {"value", value_json(o.value)}});
    }
    return out;
}

}  // namespace

CompletionModel completion_model(const CLI::App& cli, const std::vector<std::string>& takes_app_command) {
    CompletionModel model;
    model.program = cli.get_name();
    add_options(cli, model.options, nullptr);
    for (const CLI::App* sub : cli.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); })) {
        CompletionCommand c;
        c.name = sub->get_name();
        c.aliases = sub->get_aliases();
        c.help = sub->get_description();
        add_options(*sub, c.options, &c.positionals);
        c.takes_app_command = std::find(takes_app_command.begin(), takes_app_command.end(), c.name) != takes_app_command.end();
        model.commands.push_back(std::move(c));
    }
    return model;
}

nlohmann::json to_json(const CompletionModel& model) {
    nlohmann::json commands = nlohmann::json::array();
    for (const auto& c : model.commands) {
        nlohmann::json positionals = nlohmann::json::array();
        for (const auto& p : c.positionals)
            positionals.push_back({{"name", p.name}, {"help", p.help}, {"repeats", p.repeats}, {"value", value_json(p.value)}});
        commands.push_back({{"name", c.name}, {"aliases", c.aliases}, {"help", c.help}, {"options", options_json(c.options)},
                            {"positionals", positionals}, {"takes_app_command", c.takes_app_command}});
    }
    return {{"program", model.program}, {"options", options_json(model.options)}, {"commands", commands}};
}

}  // namespace pmd
