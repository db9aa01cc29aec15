// Where pmd finds pmd-cluster-preload.so: PMD_CLUSTER_PRELOAD in its environment (tests, a
// build tree), else the installed library.
#pragma once

#include <string>

namespace pmd {

std::string cluster_preload_path();

}  // namespace pmd
