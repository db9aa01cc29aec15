#include "config/shell_words.h"

namespace pmd {
namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Characters a shell would treat as syntax when unquoted.
bool is_shell_operator(char c) {
    return c == '|' || c == '&' || c == ';' || c == '<' || c == '>' || c == '$' || c == '`' || c == '(' || c == ')';
}

}  // namespace

ShellWords split_shell_words(std::string_view text) {
    ShellWords result;
    std::string word;
    bool in_word = false;
    size_t i = 0;
    auto fail = [&](std::string why) {
        result.words.clear();
        result.error = std::move(why);
        return result;
    };
    while (i < text.size()) {
        char c = text[i];
        if (is_blank(c)) {
            if (in_word) result.words.push_back(std::move(word));
            word.clear();
            in_word = false;
            ++i;
        } else if (c == '\'') {
            size_t close = text.find('\'', i + 1);
            if (close == std::string_view::npos) return fail("unterminated single quote");
            word.append(text.substr(i + 1, close - i - 1));
            in_word = true;
            i = close + 1;
        } else if (c == '"') {
            ++i;
            bool closed = false;
            while (i < text.size()) {
                char d = text[i];
                if (d == '"') {
                    closed = true;
                    ++i;
                    break;
                }
                if (d == '\\' && i + 1 < text.size() &&
                    std::string_view("\"\\$`").find(text[i + 1]) != std::string_view::npos) {
                    word.push_back(text[i + 1]);
                    i += 2;
                    continue;
                }
                if (d == '$' || d == '`')
                    return fail(std::string("'") + d +
                                "' inside double quotes would be expanded by a shell; pmd runs no shell");
                word.push_back(d);
                ++i;
            }
            if (!closed) return fail("unterminated double quote");
            in_word = true;
        } else if (c == '\\') {
            if (i + 1 >= text.size()) return fail("trailing backslash");
            word.push_back(text[i + 1]);
            in_word = true;
            i += 2;
        } else if (is_shell_operator(c)) {
            return fail(std::string("'") + c +
                        "' is shell syntax and pmd runs no shell; write the command as an array, or "
                        "use [\"/bin/sh\", \"-c\", \"...\"] if you need a shell");
        } else {
            word.push_back(c);
            in_word = true;
            ++i;
        }
    }
    if (in_word) result.words.push_back(std::move(word));
    return result;
}

}  // namespace pmd
