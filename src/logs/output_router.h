// OutputRouter: where the stdout and stderr of instances go. The Manager asks for a pair of
// fds right before each spawn, gives them to the child, and closes its copies after the spawn.
// Implementations decide what is behind them (files opened in append mode, or pipes read by
// pmd in the event loop and written to sinks).
#pragma once

#include <string>

#include "base/unique_fd.h"
#include "god/app_spec.h"

namespace pmd {

struct InstanceOutput {
    UniqueFd stdout_fd;  // -1: /dev/null
    UniqueFd stderr_fd;
};

class OutputRouter {
public:
    virtual ~OutputRouter() = default;
    // When an app is created: open what it needs; throws Error naming the file and the fix.
    virtual void app_added(const AppSpec& spec) = 0;
    virtual InstanceOutput instance_output(const AppSpec& spec, unsigned index) = 0;
    virtual void app_removed(const std::string& name) = 0;
};

// Each app's out_file/error_file (default <log_dir>/<name>-out.log, -err.log) opened with
// O_APPEND and handed to the children directly: nothing passes through pmd.
class FileOutputRouter final : public OutputRouter {
public:
    explicit FileOutputRouter(std::string log_dir) : log_dir_(std::move(log_dir)) {}
    void app_added(const AppSpec& spec) override;
    InstanceOutput instance_output(const AppSpec& spec, unsigned index) override;
    void app_removed(const std::string&) override {}

    std::string out_path(const AppSpec& spec) const;
    std::string err_path(const AppSpec& spec) const;

private:
    std::string log_dir_;
};

}  // namespace pmd
