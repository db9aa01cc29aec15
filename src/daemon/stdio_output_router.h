// StdioOutputRouter: for `pmd run` (container mode) every instance writes straight to pmd's own
// stdout and stderr, as pm2-runtime does: the container runtime collects one stream, and
// nothing passes through pmd (no copy, no loss if pmd is busy). No files, no rotation.
#pragma once

#include "logs/output_router.h"

namespace pmd {

class StdioOutputRouter final : public OutputRouter {
public:
    void app_added(const AppSpec&, const std::optional<FsIdentity>&) override {}
    InstanceOutput instance_output(const AppSpec& spec, unsigned index) override;
    void app_removed(const std::string&) override {}
};

}  // namespace pmd
