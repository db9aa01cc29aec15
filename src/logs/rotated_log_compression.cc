#include "logs/rotated_log_compression.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <spdlog/spdlog.h>

#include "base/error.h"
#include "logs/log_rotation.h"

namespace pmd {

std::string RotatedLogCompression::temporary_name(const std::string& path) { return path + ".gz.tmp"; }

RotatedLogCompression::RotatedLogCompression(EventLoop& loop, std::string path, uint32_t max_files,
                                             std::optional<FsIdentity> opener)
    : loop_(loop), path_(std::move(path)), max_files_(max_files), opener_(std::move(opener)) {
    // What a crash, a re-exec or log_compress newly switched on left plain.
    schedule();
}

RotatedLogCompression::~RotatedLogCompression() { abandon(); }

void RotatedLogCompression::rotated() {
    // The file being compressed moved up with the others; beyond max_files it is deleted (our
    // fd still reads it, but nothing would be kept).
    if (job_ && ++job_index_ > max_files_) abandon();
    schedule();
}

void RotatedLogCompression::schedule() {
    if (next_) return;
    next_ = loop_.add_defer([this] {
        EventSource self = std::move(next_);  // freed when this callback returns
        step();
    });
}

void RotatedLogCompression::step() {
    try {
        if (!job_ && !start_next()) return;
        if (!job_->step()) {
            schedule();
            return;
        }
        finish();
        last_failure_.clear();
    } catch (const Error& e) {
        if (e.what() != last_failure_)
            spdlog::warn("log file {}: cannot compress {}: {}; it stays uncompressed until the next rotation",
                         path_, rotated_name(path_, job_index_), e.what());
        last_failure_ = e.what();
        abandon();
        return;  // tried again after the next rotation, not in a loop now
    }
    schedule();  // the next plain file, if any
}

// The lowest-numbered rotated file that is still plain: the newest, which a reader of the
// recent past is most likely to open.
bool RotatedLogCompression::start_next() {
    ScopedFsIdentity as_owner(opener_);
    for (uint32_t n = 1; n <= max_files_; ++n) {
        std::string source = rotated_name(path_, n);
        int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | (opener_ ? O_NOFOLLOW : 0);
        UniqueFd in(::open(source.c_str(), flags));
        if (!in) {
            if (errno == ENOENT) continue;
            spdlog::warn("log file {}: cannot open {} to compress it: {}", path_, source, std::strerror(errno));
            continue;
        }
        struct stat st{};
        if (::fstat(in.get(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        std::string tmp = temporary_name(path_);
        UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW,
                            st.st_mode & 0777));
        if (!out) {
            spdlog::warn("log file {}: cannot create {}: {}; rotated files stay uncompressed", path_, tmp,
                         std::strerror(errno));
            return false;
        }
        job_ = std::make_unique<GzipCompressor>(std::move(in), std::move(out));
        job_index_ = n;
        job_file_ = {st.st_dev, st.st_ino};
        return true;
    }
    return false;
}

void RotatedLogCompression::finish() {
    std::string tmp = temporary_name(path_);
    std::string source = rotated_name(path_, job_index_);
    // On disk before the plain file goes: a power cut must not leave an empty .gz as the only copy.
    if (::fdatasync(job_->output_fd()) != 0)
        throw Error(Error::Kind::Failed, std::string("fdatasync ") + tmp + ": " + std::strerror(errno));
    job_.reset();
    ScopedFsIdentity as_owner(opener_);
    // The number must still name the file compressed: a rotation that failed half-way shifted
    // some files and not others, and the plain file deleted here must be the one in the .gz.
    struct stat st{};
    if (::stat(source.c_str(), &st) != 0 || FileId{st.st_dev, st.st_ino} != job_file_) {
        ::unlink(tmp.c_str());
        job_index_ = 0;
        return;  // found again by the next look for plain files
    }
    if (std::rename(tmp.c_str(), compressed_name(path_, job_index_).c_str()) != 0)
        throw Error(Error::Kind::Failed, "rename " + tmp + ": " + std::strerror(errno));
    if (::unlink(source.c_str()) != 0 && errno != ENOENT)
        spdlog::warn("log file {}: compressed {} but cannot delete it: {}", path_, source, std::strerror(errno));
    job_index_ = 0;
}

void RotatedLogCompression::abandon() {
    bool had_file = job_ != nullptr;
    job_.reset();
    job_index_ = 0;
    next_.reset();
    if (!had_file) return;
    ScopedFsIdentity as_owner(opener_);
    ::unlink(temporary_name(path_).c_str());
}

}  // namespace pmd
