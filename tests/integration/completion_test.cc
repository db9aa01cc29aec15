// pmctl's command line is defined once, in the parser: every command and option it knows must
// be in the man page, in README's command table and in --help, and offered by the bash, zsh
// and fish completions the build generates, by the real shells. What the parser knows comes
// from `pmctl completion json` (the walk of its CLI11 App the scripts are written from), so
// a command added anywhere in src/ctl is checked here without a change to this file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "pmd_harness.h"

namespace pmd::test {
namespace {

using Names = std::set<std::string>;

struct Command {
    Names names;    // name and aliases
    Names options;  // every option name, -h and --help left out (CLI11 gives them to all)
    bool takes_app_command = false;
};

struct Parser {
    Names global_options;
    std::map<std::string, Command> commands;  // by name
};

std::string joined(const Names& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
    return out;
}

Names option_names(const nlohmann::json& options) {
    Names out;
    for (const auto& o : options)
        for (const auto& n : o.at("names")) {
            auto name = n.get<std::string>();
            if (name != "-h" && name != "--help") out.insert(name);
        }
    return out;
}

Parser parser() {
    auto r = run_command({PMCTL_BIN, "completion", "json"});
    if (r.exit_code != 0) throw std::runtime_error("pmctl completion json: " + r.err);
    auto j = nlohmann::json::parse(r.out);
    Parser p;
    p.global_options = option_names(j.at("options"));
    for (const auto& c : j.at("commands")) {
        Command cmd;
        cmd.names.insert(c.at("name").get<std::string>());
        for (const auto& a : c.at("aliases")) cmd.names.insert(a.get<std::string>());
        cmd.options = option_names(c.at("options"));
        cmd.takes_app_command = c.at("takes_app_command").get<bool>();
        p.commands[c.at("name").get<std::string>()] = cmd;
    }
    return p;
}

// `*--name*` and `*-n*` tokens of a line of scdoc; `*--*` (the app's command follows) is none.
Names scd_options(const std::string& line) {
    Names out;
    static const std::regex token(R"(\*(--?[A-Za-z0-9][A-Za-z0-9-]*)\*)");
    for (auto it = std::sregex_iterator(line.begin(), line.end(), token); it != std::sregex_iterator(); ++it)
        out.insert((*it)[1]);
    return out;
}

// man/pmctl.1.scd as the test reads it (the page says so in a comment): in BUS OPTIONS and
// OTHER OPTIONS, each option is a line of its own at the margin; in COMMANDS, a heading at
// the margin names one or more commands (`*ls*, *list*`) and may show options, and the
// command's options are the lines indented by one tab that start with an option. Several
// headings may describe one command (start).
struct ManPage {
    Names global_options;
    std::map<std::string, Names> options_of;  // command name or alias → options documented
};

ManPage man_page() {
    std::ifstream in(MAN_PAGE);
    ManPage m;
    std::string section, line;
    std::vector<std::string> heading;  // names of the current block
    static const std::regex name_token(R"(^\*([a-z][a-z0-9-]*)\*)");
    while (std::getline(in, line)) {
        if (line.rfind("# ", 0) == 0) {
            section = line.substr(2);
            heading.clear();
            continue;
        }
        if (section == "BUS OPTIONS" || section == "OTHER OPTIONS") {
            if (line.rfind("*-", 0) == 0)
                for (const auto& o : scd_options(line))
                    if (o != "-h" && o != "--help") m.global_options.insert(o);
            continue;
        }
        if (section != "COMMANDS") continue;
        if (line.rfind("*", 0) == 0) {
            // A new block, unless it continues the heading above it (`++` line break).
            std::string rest = line;
            std::vector<std::string> names;
            std::smatch match;
            while (std::regex_search(rest, match, name_token)) {
                names.push_back(match[1]);
                rest = match.suffix().str();
                if (rest.rfind(", ", 0) != 0) break;
                rest = rest.substr(2);
            }
            if (!names.empty()) {
                heading = names;
                for (const auto& n : names) m.options_of[n];
            }
            for (const auto& n : heading)
                for (const auto& o : scd_options(line)) m.options_of[n].insert(o);
        } else if (line.rfind("\t*-", 0) == 0) {
            for (const auto& n : heading)
                for (const auto& o : scd_options(line)) m.options_of[n].insert(o);
        }
    }
    return m;
}

class CompletionTest : public ::testing::Test {
protected:
    void SetUp() override { p = parser(); }

    // The options a shell offered for a command, without -h/--help and `--`.
    static Names options_only(const Names& offered) {
        Names out;
        for (const auto& o : offered)
            if (o.rfind("-", 0) == 0 && o != "-h" && o != "--help" && o != "--") out.insert(o);
        return out;
    }

    // The scripts list app names with the `pmctl` of PATH: the one built here.
    static std::string path_with_pmctl() {
        const char* path = std::getenv("PATH");
        return "PATH=" + std::filesystem::path(PMCTL_BIN).parent_path().string() + ":" + (path ? path : "/usr/bin:/bin");
    }

    // Runs `script` in bash with bash-completion and pmctl's completion loaded; complete LINE...
    // prints what _pmctl put in COMPREPLY for the words of LINE (the last one is the cursor's).
    static std::string bash(const std::string& script) {
        std::string prelude =
            "source /usr/share/bash-completion/bash_completion || exit 9\n"
            "source " + std::string(COMPLETIONS_DIR) + "/pmctl || exit 9\n"
            "complete_words() {\n"
            "  COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); COMP_LINE=\"$*\"; COMP_POINT=${#COMP_LINE}\n"
            "  COMPREPLY=()\n"
            "  _pmctl pmctl \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD - 1]}\"\n"
            "  printf '%s\\n' \"${COMPREPLY[@]}\"\n"
            "}\n";
        auto r = run_command({"env", path_with_pmctl(), "bash", "--norc", "--noprofile", "-c", prelude + script});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }

    static Names bash_offers(const std::vector<std::string>& words) {
        std::string call = "complete_words";
        for (const auto& w : words) call += " '" + w + "'";
        return lines(bash(call + "\n"));
    }

    static Names fish_offers(const std::string& line) {
        auto r = run_command({"env", path_with_pmctl(), "fish", "--no-config", "-c",
                              "source " + std::string(COMPLETIONS_DIR) + "/pmctl.fish; complete -C " + quoted(line)});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        Names out;
        for (const auto& l : lines(r.out)) out.insert(l.substr(0, l.find('\t')));
        return out;
    }

    static Names zsh_offers(const std::string& line) {
        auto r = run_command({"env", path_with_pmctl(), "zsh", "-f", ZSH_COMPLETE, COMPLETIONS_DIR, line}, 60s);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return lines(r.out);
    }

    static Names lines(const std::string& text) {
        Names out;
        std::istringstream in(text);
        for (std::string l; std::getline(in, l);)
            if (!l.empty()) out.insert(l);
        return out;
    }

    static std::string quoted(const std::string& s) { return "'" + s + "'"; }

    Names all_command_words() const {
        Names out;
        for (const auto& [name, c] : p.commands) out.insert(c.names.begin(), c.names.end());
        return out;
    }

    Parser p;
};

TEST_F(CompletionTest, ManPageDocumentsEveryCommandAndOptionOfTheParserAndNoOther) {
    auto m = man_page();
    EXPECT_EQ(joined(m.global_options), joined(p.global_options)) << "BUS OPTIONS + OTHER OPTIONS of " << MAN_PAGE;
    Names documented;
    for (const auto& [name, options] : m.options_of) documented.insert(name);
    EXPECT_EQ(joined(documented), joined(all_command_words())) << "command headings of " << MAN_PAGE;
    for (const auto& [name, c] : p.commands) {
        for (const auto& word : c.names) {
            if (!m.options_of.count(word)) continue;
            Names options;
            for (const auto& n : c.names)
                if (m.options_of.count(n)) options.insert(m.options_of[n].begin(), m.options_of[n].end());
            EXPECT_EQ(joined(options), joined(c.options)) << "options of '" << name << "' in " << MAN_PAGE;
            break;
        }
    }
}

// README.md's command table: every command and alias in the first column of one row; an
// option named in a row is one of that command's.
TEST_F(CompletionTest, ReadmeCommandTableListsEveryCommandAndOnlyTheirOptions) {
    std::ifstream in(README_FILE);
    Names listed;
    static const std::regex word(R"(`([a-z][a-z0-9-]*)`)");
    static const std::regex option(R"(`(--?[A-Za-z0-9][A-Za-z0-9-]*))");
    bool in_table = false;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("| command |", 0) == 0) {
            in_table = true;
            continue;
        }
        if (!in_table) continue;
        if (line.rfind("|", 0) != 0) break;
        if (line.rfind("|---", 0) == 0) continue;
        auto cells = line.substr(1);
        auto first = cells.substr(0, cells.find('|'));
        Names row;
        for (auto it = std::sregex_iterator(first.begin(), first.end(), word); it != std::sregex_iterator(); ++it) row.insert((*it)[1]);
        listed.insert(row.begin(), row.end());
        // A row may name several commands (`jlist`, `prettylist`); its options are theirs.
        Names options = p.global_options;
        for (const auto& n : row) {
            bool known = false;
            for (const auto& [name, c] : p.commands)
                if (c.names.count(n)) {
                    known = true;
                    options.insert(c.options.begin(), c.options.end());
                }
            EXPECT_TRUE(known) << "README names a command pmctl lacks: " << n;
        }
        ASSERT_FALSE(row.empty()) << "a README row without a command: " << line;
        for (auto it = std::sregex_iterator(line.begin(), line.end(), option); it != std::sregex_iterator(); ++it) {
            std::string o = (*it)[1];
            EXPECT_TRUE(options.count(o)) << "README: " << *row.begin() << " has no " << o;
        }
    }
    EXPECT_EQ(joined(listed), joined(all_command_words())) << "the command table of " << README_FILE;
}

// --help is CLI11's rendering of the same App: every command listed (the hidden completion
// not), and each command's options, as the parser has them.
TEST_F(CompletionTest, HelpListsEveryCommandAndEachCommandsOptions) {
    auto top = run_command({PMCTL_BIN, "--help"});
    ASSERT_EQ(top.exit_code, 0);
    Names listed;
    bool in_subcommands = false;
    std::istringstream in(top.out);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("Subcommands:", 0) == 0) {
            in_subcommands = true;
            continue;
        }
        if (in_subcommands && line.size() > 2 && line.rfind("  ", 0) == 0 && line[2] != ' ') {
            // "  describe, show   Show everything...": the names, then two spaces.
            std::istringstream names_in(line.substr(2, line.find("  ", 2) - 2));
            for (std::string n; std::getline(names_in, n, ',');) listed.insert(n.substr(n.find_first_not_of(' ')));
        }
    }
    EXPECT_EQ(joined(listed), joined(all_command_words()));
    EXPECT_FALSE(listed.count("completion"));
    for (const auto& [name, c] : p.commands) {
        auto r = run_command({PMCTL_BIN, name, "--help"});
        ASSERT_EQ(r.exit_code, 0) << name;
        Names options;
        std::istringstream help(r.out);
        for (std::string line; std::getline(help, line);) {
            if (line.rfind("  -", 0) != 0) continue;
            std::istringstream words(line);
            std::string first;
            words >> first;
            std::istringstream names_in(first);
            for (std::string n; std::getline(names_in, n, ',');) {
                n = n.substr(0, n.find_first_of("{="));
                if (n != "-h" && n != "--help") options.insert(n);
            }
        }
        EXPECT_EQ(joined(options), joined(c.options)) << "pmctl " << name << " --help";
    }
}

TEST_F(CompletionTest, BashOffersEveryCommandAndEachCommandsOptions) {
    EXPECT_EQ(joined(bash_offers({"pmctl", ""})), joined(all_command_words()));
    EXPECT_EQ(joined(options_only(bash_offers({"pmctl", "-"}))), joined(p.global_options));
    // One bash for every command: "@@ name" then what `pmctl NAME -` offers.
    std::string script;
    for (const auto& [name, c] : p.commands)
        for (const auto& word : c.names) script += "echo '@@ " + word + "'\ncomplete_words pmctl " + word + " -\n";
    std::istringstream out(bash(script));
    std::map<std::string, Names> offered;
    std::string current;
    for (std::string line; std::getline(out, line);) {
        if (line.rfind("@@ ", 0) == 0) current = line.substr(3);
        else if (!line.empty()) offered[current].insert(line);
    }
    for (const auto& [name, c] : p.commands) {
        for (const auto& word : c.names) {
            EXPECT_EQ(joined(options_only(offered[word])), joined(c.options)) << "bash: pmctl " << word << " -";
            EXPECT_EQ(offered[word].count("--") > 0, c.takes_app_command) << "bash: pmctl " << word << " -";
        }
    }
}

TEST_F(CompletionTest, FishOffersEveryCommandAndEachCommandsOptions) {
    EXPECT_EQ(joined(fish_offers("pmctl ")), joined(all_command_words()));
    EXPECT_EQ(joined(options_only(fish_offers("pmctl -"))), joined(p.global_options));
    for (const auto& [name, c] : p.commands)
        for (const auto& word : c.names)
            EXPECT_EQ(joined(options_only(fish_offers("pmctl " + word + " -"))), joined(c.options)) << "fish: pmctl " << word << " -";
}

TEST_F(CompletionTest, ZshOffersEveryCommandAndEachCommandsOptions) {
    EXPECT_EQ(joined(zsh_offers("pmctl ")), joined(all_command_words()));
    EXPECT_EQ(joined(options_only(zsh_offers("pmctl -"))), joined(p.global_options));
    for (const auto& [name, c] : p.commands)
        EXPECT_EQ(joined(options_only(zsh_offers("pmctl " + name + " -"))), joined(c.options)) << "zsh: pmctl " << name << " -";
}

// Values: closed lists, directories, users, signals, the command after `--`, and the apps of
// the pmd on the bus the command line names (the options before the command reach `pmctl ls`).
TEST_F(CompletionTest, ValuesAreCompletedByKindInEveryShell) {
    PmdHarness h;
    h.start_pmd();
    ASSERT_EQ(h.pmctl({"start", "-n", "web", "--", "sleep", "1000"}).exit_code, 0);
    Names modes{"cluster", "cluster_mode", "fork", "fork_mode"};

    EXPECT_EQ(joined(bash_offers({"pmctl", "start", "--exec-mode", ""})), joined(modes));
    EXPECT_EQ(joined(bash_offers({"pmctl", "--bus", h.address(), "stop", ""})), "all web");
    EXPECT_EQ(joined(bash_offers({"pmctl", "--bus", h.address(), "signal", "SIGUSR2", ""})), "web");
    EXPECT_TRUE(bash_offers({"pmctl", "signal", "SIGUS"}).count("SIGUSR2"));
    EXPECT_TRUE(bash_offers({"pmctl", "start", "--user", "roo"}).count("root"));  // start's --user: a user
    EXPECT_TRUE(bash_offers({"pmctl", "start", "-n", "x", "--", "slee"}).count("sleep"));
    EXPECT_TRUE(bash_offers({"pmctl", "start", "--cwd", "/us"}).count("/usr"));

    EXPECT_EQ(joined(fish_offers("pmctl start --exec-mode ")), joined(modes));
    EXPECT_EQ(joined(fish_offers("pmctl --bus " + h.address() + " stop ")), "all web");
    EXPECT_TRUE(fish_offers("pmctl signal SIGUS").count("SIGUSR2"));
    EXPECT_TRUE(fish_offers("pmctl start --user roo").count("root"));
    EXPECT_TRUE(fish_offers("pmctl start -n x -- slee").count("sleep"));

    EXPECT_EQ(joined(zsh_offers("pmctl start --exec-mode ")), joined(modes));
    EXPECT_TRUE(zsh_offers("pmctl --bus " + h.address() + " stop ").count("web"));
    EXPECT_TRUE(zsh_offers("pmctl start --cwd /us").count("usr"));
}

}  // namespace
}  // namespace pmd::test
