#include "base/signal_name.h"

#include <csignal>

#include <gtest/gtest.h>

namespace pmd {

TEST(ParseSignal, NamesAndNumbers) {
    EXPECT_EQ(parse_signal("SIGUSR2"), SIGUSR2);
    EXPECT_EQ(parse_signal("usr2"), SIGUSR2);
    EXPECT_EQ(parse_signal("TERM"), SIGTERM);
    EXPECT_EQ(parse_signal("9"), SIGKILL);
}

TEST(ParseSignal, RejectsNonSignals) {
    EXPECT_EQ(parse_signal("0"), std::nullopt);
    EXPECT_EQ(parse_signal("SIGFOO"), std::nullopt);
    EXPECT_EQ(parse_signal("1000"), std::nullopt);
    EXPECT_EQ(parse_signal(""), std::nullopt);
}

TEST(SignalName, RoundTrips) {
    EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
    EXPECT_EQ(parse_signal(signal_name(SIGHUP)), SIGHUP);
}

}  // namespace pmd
