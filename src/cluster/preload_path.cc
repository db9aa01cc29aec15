#include "cluster/preload_path.h"

#include <cstdlib>

#ifndef PMD_CLUSTER_PRELOAD
#error "PMD_CLUSTER_PRELOAD (the installed pmd-cluster-preload.so) is set by src/cluster/CMakeLists.txt"
#endif

namespace pmd {

std::string cluster_preload_path() {
    const char* path = std::getenv("PMD_CLUSTER_PRELOAD");
    return path && *path ? path : PMD_CLUSTER_PRELOAD;
}

}  // namespace pmd
