#include "config/did_you_mean.h"

#include <gtest/gtest.h>

namespace pmd {
namespace {

constexpr std::string_view kKeys[] = {"kill_timeout", "instances", "env", "cwd"};

TEST(DidYouMean, EditDistanceCountsInsertDeleteSubstitute) {
    EXPECT_EQ(edit_distance("", ""), 0u);
    EXPECT_EQ(edit_distance("abc", "abc"), 0u);
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(DidYouMean, SuggestsTheNearestCloseKey) {
    EXPECT_EQ(closest_name("kill_timout", kKeys), "kill_timeout");
    EXPECT_EQ(closest_name("instance", kKeys), "instances");
    EXPECT_EQ(closest_name("cdw", kKeys), "cwd");
}

TEST(DidYouMean, StaysQuietForUnrelatedWords) {
    EXPECT_EQ(closest_name("completely_different", kKeys), std::nullopt);
    EXPECT_EQ(did_you_mean_suffix("zzzzzzzz", kKeys), "");
    EXPECT_EQ(did_you_mean_suffix("evn", kKeys), " (did you mean 'env'?)");
}

}  // namespace
}  // namespace pmd
