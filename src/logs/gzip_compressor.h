// GzipCompressor: one file into gzip format (zlib's deflate with a gzip header), a bounded
// amount per step(), so the event loop can compress a rotated 10 MiB log between other work
// instead of stopping for it. The caller owns both files and decides their names (rotated log
// compression writes "<log>.gz.tmp" and renames it when step() says finished).
//
// States: running (step() has more to do), finished (the gzip trailer is written; the output
// is a complete .gz) or failed (step() threw; the output is incomplete and must be discarded).
#pragma once

#include <cstddef>
#include <memory>

#include "base/unique_fd.h"

namespace pmd {

class GzipCompressor {
public:
    static constexpr size_t kDefaultStep = 64 * 1024;  // ~1-2 ms of deflate at level 6

    // in: read from its current offset to EOF; out: written from its current offset.
    GzipCompressor(UniqueFd in, UniqueFd out, int level = 6);
    ~GzipCompressor();
    GzipCompressor(const GzipCompressor&) = delete;
    GzipCompressor& operator=(const GzipCompressor&) = delete;

    // Reads at most max_input bytes and writes what deflate gives; true once the input's EOF
    // has been reached and the trailer written. Throws Error (Failed) on a read or write error.
    bool step(size_t max_input = kDefaultStep);

    // The output fd, e.g. to fsync it before renaming the finished file.
    int output_fd() const { return out_.get(); }

private:
    void write_out(const unsigned char* data, size_t size);

    struct Stream;
    std::unique_ptr<Stream> stream_;
    UniqueFd in_;
    UniqueFd out_;
    bool finished_ = false;
};

}  // namespace pmd
