// whole_disk_of against this machine's /sys (a real path resolves to a whole disk), and against
// stand-in sysfs trees shaped as the kernel's: /sys/dev/block/MAJ:MIN links into
// /sys/devices/.../block/<disk>[/<partition>], a partition has a `partition` file and its
// parent directory is the disk, with the disk's number in `dev`.
#include "cgroup/block_device.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace pmd {
namespace {

namespace fs = std::filesystem;

class FakeSys : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/pmd-sys-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        root_ = tmpl;
        fs::create_directories(root_ / "dev" / "block");
    }
    void TearDown() override { fs::remove_all(root_); }
    // A disk "vda" 254:0 with partitions vda1 254:1 and vda2 254:2, as virtio-blk shows them.
    void add_disk_with_partitions() {
        fs::path disk = root_ / "devices" / "pci0000:00" / "virtio1" / "block" / "vda";
        fs::create_directories(disk / "vda1");
        fs::create_directories(disk / "vda2");
        std::ofstream(disk / "dev") << "254:0\n";
        std::ofstream(disk / "vda1" / "dev") << "254:1\n";
        std::ofstream(disk / "vda1" / "partition") << "1\n";
        std::ofstream(disk / "vda2" / "dev") << "254:2\n";
        std::ofstream(disk / "vda2" / "partition") << "2\n";
        fs::create_directory_symlink("../../devices/pci0000:00/virtio1/block/vda", root_ / "dev" / "block" / "254:0");
        fs::create_directory_symlink("../../devices/pci0000:00/virtio1/block/vda/vda1",
                                     root_ / "dev" / "block" / "254:1");
        fs::create_directory_symlink("../../devices/pci0000:00/virtio1/block/vda/vda2",
                                     root_ / "dev" / "block" / "254:2");
    }
    fs::path root_;
};

TEST_F(FakeSys, APartitionStandsForItsDisk) {
    add_disk_with_partitions();
    std::string why;
    EXPECT_EQ(whole_disk_of_device(makedev(254, 1), why, root_.string()).value_or(why), "254:0");
    EXPECT_EQ(whole_disk_of_device(makedev(254, 2), why, root_.string()).value_or(why), "254:0");
}

TEST_F(FakeSys, ADiskIsItself) {
    add_disk_with_partitions();
    std::string why;
    EXPECT_EQ(whole_disk_of_device(makedev(254, 0), why, root_.string()).value_or(why), "254:0");
}

TEST_F(FakeSys, ADeviceWithoutABlockEntryIsNoDisk) {
    add_disk_with_partitions();
    std::string why;
    EXPECT_FALSE(whole_disk_of_device(makedev(0, 42), why, root_.string()));  // tmpfs, overlay...
    EXPECT_NE(why.find("0:42, which is no block device"), std::string::npos) << why;
}

// A real file's filesystem, looked up in a stand-in tree where its device is a partition.
TEST_F(FakeSys, AFileOnAPartitionIsOnTheDisk) {
    struct stat st {};
    ASSERT_EQ(stat("/", &st), 0);
    std::string number = std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev));
    fs::path disk = root_ / "devices" / "block" / "sdz";
    fs::create_directories(disk / "sdz3");
    std::ofstream(disk / "dev") << "8:400\n";
    std::ofstream(disk / "sdz3" / "partition") << "3\n";
    fs::create_directory_symlink("../../devices/block/sdz/sdz3", root_ / "dev" / "block" / number);
    std::string why;
    EXPECT_EQ(whole_disk_of("/", why, root_.string()).value_or(why), "8:400");
}

TEST(WholeDiskOf, AMissingPathSaysSo) {
    std::string why;
    EXPECT_FALSE(whole_disk_of("/nonexistent/pmd-io-test", why));
    EXPECT_EQ(why, "No such file or directory");
}

// This machine's root filesystem, where it is on a block device: a whole disk (no `partition`
// file in its /sys/dev/block entry), which is the root's own device or its parent.
TEST(WholeDiskOf, TheRootFilesystemIsOnAWholeDiskOfThisMachine) {
    struct stat st {};
    ASSERT_EQ(stat("/", &st), 0);
    std::string own = std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev));
    if (!fs::exists("/sys/dev/block/" + own)) GTEST_SKIP() << "/ is on no block device here (" << own << ")";
    std::string why;
    auto disk = whole_disk_of("/", why);
    ASSERT_TRUE(disk) << why;
    EXPECT_FALSE(fs::exists("/sys/dev/block/" + *disk + "/partition"));
    fs::path entry = fs::canonical("/sys/dev/block/" + own);
    if (fs::exists(entry / "partition"))
        EXPECT_EQ(fs::canonical("/sys/dev/block/" + *disk), entry.parent_path());
    else
        EXPECT_EQ(*disk, own);
}

// A device node names its own disk: each disk of /sys/block with a node in /dev.
TEST(WholeDiskOf, ADiskNodeOfThisMachineIsItsDisk) {
    int seen = 0;
    for (const auto& entry : fs::directory_iterator("/sys/block")) {
        std::string name = entry.path().filename().string();
        if (!fs::exists("/dev/" + name)) continue;
        std::ifstream in(entry.path() / "dev");
        std::string number;
        in >> number;
        std::string why;
        EXPECT_EQ(whole_disk_of("/dev/" + name, why).value_or(why), number) << name;
        ++seen;
    }
    if (seen == 0) GTEST_SKIP() << "no disk in /sys/block has a node in /dev";
}

}  // namespace
}  // namespace pmd
