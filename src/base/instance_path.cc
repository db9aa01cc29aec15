#include "base/instance_path.h"

namespace pmd {

std::string path_with_instance(const std::string& path, unsigned index) {
    std::string suffix = "-" + std::to_string(index);
    size_t slash = path.rfind('/');
    size_t dot = path.rfind('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path + suffix;
    return path.substr(0, dot) + suffix + path.substr(dot);
}

}  // namespace pmd
