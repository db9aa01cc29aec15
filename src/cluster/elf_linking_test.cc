#include "cluster/elf_linking.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace pmd {
namespace {

TEST(ElfLinking, DynamicExecutablesScriptsAndMissingFiles) {
    EXPECT_EQ(elf_linking("/bin/sh"), ElfLinking::Dynamic);
    auto script = std::filesystem::temp_directory_path() / ("pmd-elf-test-" + std::to_string(getpid()));
    std::ofstream(script) << "#!/bin/sh\nexit 0\n";
    EXPECT_EQ(elf_linking(script), ElfLinking::NotElf);
    std::filesystem::remove(script);
    EXPECT_EQ(elf_linking("/nonexistent/pmd"), ElfLinking::NotElf);
}


}  // namespace
}  // namespace pmd
