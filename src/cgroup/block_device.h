// The disk an io limit names. io.max and io.weight take a whole disk's MAJ:MIN only (the
// kernel refuses a partition's), while users write, as with systemd's IOReadBandwidthMax=, a
// device node, a partition or any path on a filesystem: the device of the path (st_rdev of a
// block device node, st_dev of anything else) is looked up under /sys/dev/block, and a
// partition there (it has a `partition` file) stands for its parent directory, the disk.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace pmd {

// "MAJ:MIN" of the whole disk holding `path`; nullopt with `why` ("no such file", "is on no
// block device") when there is none. `sys` is sysfs' mount point (a test's stand-in tree).
std::optional<std::string> whole_disk_of(const std::string& path, std::string& why, const std::string& sys = "/sys");

// The same from a device number, for the stand-in trees of the unit tests.
std::optional<std::string> whole_disk_of_device(dev_t device, std::string& why, const std::string& sys = "/sys");

}  // namespace pmd
