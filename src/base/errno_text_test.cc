#include "base/errno_text.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

namespace pmd {
namespace {

TEST(ErrnoText, OutOfFdsNamesTheLimitToRaise) {
    EXPECT_EQ(errno_text(EMFILE).rfind(std::strerror(EMFILE), 0), 0u);
    EXPECT_NE(errno_text(EMFILE).find("LimitNOFILE="), std::string::npos);
    EXPECT_NE(errno_text(ENFILE).find("fs.file-max"), std::string::npos);
    EXPECT_TRUE(out_of_fds(EMFILE));
    EXPECT_TRUE(out_of_fds(ENFILE));
}

TEST(ErrnoText, OtherErrorsAreTheirStrerror) {
    EXPECT_EQ(errno_text(ENOSPC), std::strerror(ENOSPC));
    EXPECT_EQ(errno_text(EROFS), std::strerror(EROFS));
    EXPECT_FALSE(out_of_fds(ENOSPC));
}

}  // namespace
}  // namespace pmd
