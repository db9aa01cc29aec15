#include "cgroup/block_device.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace pmd {

std::optional<std::string> whole_disk_of_device(dev_t device, std::string& why, const std::string& sys) {
    namespace fs = std::filesystem;
    std::string number = std::to_string(major(device)) + ":" + std::to_string(minor(device));
    std::error_code ec;
    fs::path entry = fs::canonical(fs::path(sys) / "dev" / "block" / number, ec);
    if (ec) {
        why = "is on device " + number + ", which is no block device (" + sys + "/dev/block/" + number + ")";
        return std::nullopt;
    }
    if (!fs::exists(entry / "partition")) return number;
    std::ifstream in(entry.parent_path() / "dev");
    std::string disk;
    if (!(in >> disk) || disk.find(':') == std::string::npos) {
        why = "is on partition " + number + " whose disk " + entry.parent_path().string() + " has no dev file";
        return std::nullopt;
    }
    return disk;
}

std::optional<std::string> whole_disk_of(const std::string& path, std::string& why, const std::string& sys) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
        why = std::strerror(errno);
        return std::nullopt;
    }
    return whole_disk_of_device(S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev, why, sys);
}

}  // namespace pmd
