#include "config/shell_words.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pmd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ShellWords, SplitsOnBlanksAndHonoursQuotes) {
    EXPECT_THAT(split_shell_words("  node  server.js --port 8080 ").words,
                ElementsAre("node", "server.js", "--port", "8080"));
    EXPECT_THAT(split_shell_words("echo 'a b' \"c d\" e\\ f").words, ElementsAre("echo", "a b", "c d", "e f"));
    EXPECT_THAT(split_shell_words("x'y'\"z\"").words, ElementsAre("xyz"));
    EXPECT_THAT(split_shell_words("say \"\\\"hi\\\"\" ''").words, ElementsAre("say", "\"hi\"", ""));
}

TEST(ShellWords, QuotedOperatorsAreLiteral) {
    EXPECT_THAT(split_shell_words("sh -c 'a | b > c; $HOME'").words, ElementsAre("sh", "-c", "a | b > c; $HOME"));
}

TEST(ShellWords, RefusesShellSyntaxInsteadOfMisreadingIt) {
    EXPECT_THAT(split_shell_words("a | b").error, HasSubstr("'|' is shell syntax"));
    EXPECT_THAT(split_shell_words("run $HOME").error, HasSubstr("'$'"));
    EXPECT_THAT(split_shell_words("echo \"$HOME\"").error, HasSubstr("would be expanded"));
    EXPECT_TRUE(split_shell_words("a | b").words.empty());
}

TEST(ShellWords, ReportsUnterminatedQuotes) {
    EXPECT_EQ(split_shell_words("echo 'oops").error, "unterminated single quote");
    EXPECT_EQ(split_shell_words("echo \"oops").error, "unterminated double quote");
    EXPECT_EQ(split_shell_words("echo \\").error, "trailing backslash");
}

}  // namespace
}  // namespace pmd
