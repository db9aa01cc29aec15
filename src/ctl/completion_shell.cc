#include "ctl/completion_shell.h"

namespace pmd {

std::string shell_single_quoted(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string fish_single_quoted(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

std::vector<std::string> passed_on_options(const CompletionModel& model, bool with_value) {
    std::vector<std::string> names;
    for (const auto& o : model.options) {
        if (o.takes_value != with_value) continue;
        if (o.longs == std::vector<std::string>{"--help"} || o.longs == std::vector<std::string>{"--version"}) continue;
        names.insert(names.end(), o.shorts.begin(), o.shorts.end());
        names.insert(names.end(), o.longs.begin(), o.longs.end());
    }
    return names;
}

std::string joined(const std::vector<std::string>& words, const std::string& separator) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : separator) + w;
    return out;
}

}  // namespace pmd
