// Splits a command written as one string ("node server.js --port 8080") into argv the way a
// POSIX shell would tokenise it, without running a shell: quotes and backslashes group words,
// nothing is expanded. Shell syntax that would change the meaning (pipes, redirections, $VAR,
// `...`) is refused, so "cmd > out.log" never silently runs cmd with two extra arguments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pmd {

struct ShellWords {
    std::vector<std::string> words;
    std::string error;  // non-empty when the text cannot be split; says why
};

ShellWords split_shell_words(std::string_view text);

}  // namespace pmd
