#include "logs/output_router.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace pmd {
namespace {

UniqueFd open_log(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640));
    if (!fd)
        throw Error(Error::Kind::Failed, "cannot open log file " + path + ": " + std::strerror(errno) +
                                             " (set out_file/error_file, or start pmd with a writable --log-dir)");
    return fd;
}

}  // namespace

std::string FileOutputRouter::out_path(const AppSpec& spec) const {
    return spec.out_file.empty() ? log_dir_ + "/" + spec.name + "-out.log" : spec.out_file;
}

std::string FileOutputRouter::err_path(const AppSpec& spec) const {
    return spec.error_file.empty() ? log_dir_ + "/" + spec.name + "-err.log" : spec.error_file;
}

void FileOutputRouter::app_added(const AppSpec& spec) {
    // Opening once up front turns an unwritable log path into an answer to the start request.
    open_log(out_path(spec));
    open_log(err_path(spec));
}

InstanceOutput FileOutputRouter::instance_output(const AppSpec& spec, unsigned) {
    return {open_log(out_path(spec)), open_log(err_path(spec))};
}

}  // namespace pmd
