// The table of app keys (spec/app_keys.h) against everything that used to list keys by hand:
// the reader, the dump writer, and the reference documentation.
#include "spec/app_keys.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "config/app_dump.h"
#include "config/app_fields.h"
#include "config/app_file.h"

namespace pmd {
namespace {

const std::filesystem::path kRepo = std::filesystem::path(__FILE__).parent_path() / ".." / "..";

std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(AppKeys, EveryKeyHasAReaderAWriterAndADocLine) {
    std::set<std::string_view> seen;
    for (const AppKey& k : app_keys()) {
        EXPECT_TRUE(seen.insert(k.key).second) << "twice in the table: " << k.key;
        EXPECT_TRUE(app_table_has_reader(k.key)) << "config/app_fields.cc reads no '" << k.key << "'";
        EXPECT_TRUE(app_dump_writes(k.key)) << "config/app_dump.cc writes no '" << k.key << "'";
        EXPECT_FALSE(k.doc.empty()) << k.key;
        EXPECT_EQ(k.kind == AppKeyKind::Custom, std::holds_alternative<std::monostate>(k.member)) << k.key;
        if (k.kind == AppKeyKind::Count) {
            EXPECT_GT(k.max, 0u) << k.key;
        }
        if (k.kind == AppKeyKind::Custom && k.apply != AppKeyApply::Reload) {
            EXPECT_NE(k.same, nullptr) << k.key;
        }
    }
    EXPECT_EQ(app_table_keys().size(), app_keys().size());
}

// docs/config-reference.md's table of app keys names exactly the table's keys ("`user` / `uid`"
// rows name two), and man/pmd.toml.5.scd describes each.
TEST(AppKeys, ReferenceDocsNameExactlyTheTablesKeys) {
    std::string reference = read_text(kRepo / "docs" / "config-reference.md");
    auto begin = reference.find("## App keys");
    auto end = reference.find("\n## ", begin + 1);
    ASSERT_NE(begin, std::string::npos);
    std::istringstream rows(reference.substr(begin, end - begin));
    std::set<std::string> documented;
    std::regex row(R"(^\| `([a-z_<>]+)`(?: / `([a-z_]+)`)? \|)");
    for (std::string l; std::getline(rows, l);) {
        if (l.starts_with("### ")) break;  // the health_check sub-table
        std::smatch m;
        if (!std::regex_search(l, m, row)) continue;
        if (m[1] != "env_<profile>") documented.insert(m[1]);
        if (m[2].matched) documented.insert(m[2]);
    }
    std::set<std::string> table;
    for (const AppKey& k : app_keys()) table.insert(std::string(k.key));
    EXPECT_EQ(documented, table);

    std::string man = read_text(kRepo / "man" / "pmd.toml.5.scd");
    for (const AppKey& k : app_keys()) {
        EXPECT_NE(man.find("*" + std::string(k.key) + "*"), std::string::npos) << "man/pmd.toml.5.scd does not describe " << k.key;
    }
}

TEST(AppKeys, LogRouteKeysAreWhatADaemonReloadCannotApply) {
    AppSpec a, b;
    b.log_max_size = 4096;
    b.merge_logs = true;
    EXPECT_EQ(changed_app_keys(a, b, AppKeyApply::LogRoute), (std::vector<std::string>{"merge_logs", "log_max_size"}));
    b = a;
    b.exec_mode = AppSpec::ExecMode::Cluster;
    EXPECT_EQ(changed_app_keys(a, b, AppKeyApply::Sockets), std::vector<std::string>{"exec_mode"});
    EXPECT_TRUE(changed_app_keys(a, b, AppKeyApply::LogRoute).empty());
}

TEST(AppKeys, PerAppLogRotationReadsAndRoundTrips) {
    auto apps = parse_app_text("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nlog_max_size = \"64K\"\nlog_max_files = 2\n",
                               "apps.toml", "/", {});
    ASSERT_EQ(apps.size(), 1u);
    EXPECT_EQ(apps[0].log_max_size, 64u << 10);
    EXPECT_EQ(apps[0].log_max_files, 2u);
    std::string dump = dump_apps(apps);
    EXPECT_NE(dump.find("log_max_size = \"64K\"\nlog_max_files = 2\n"), std::string::npos) << dump;
    EXPECT_EQ(parse_dump_text(dump, "dump"), apps);
    AppSpec unset;
    EXPECT_EQ(dump_apps({unset}).find("log_max"), std::string::npos);
    EXPECT_THROW(parse_app_text("[[app]]\nname = \"a\"\ncommand = [\"true\"]\nlog_max_files = 10001\n", "apps.toml", "/", {}),
                 std::exception);
}

}  // namespace
}  // namespace pmd
