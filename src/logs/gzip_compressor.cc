#include "logs/gzip_compressor.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "base/error.h"

namespace pmd {

struct GzipCompressor::Stream {
    z_stream z{};
};

namespace {
// windowBits 15 (the maximum) + 16: a gzip header and trailer instead of zlib's.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kMemLevel = 8;  // zlib's default
}  // namespace

GzipCompressor::GzipCompressor(UniqueFd in, UniqueFd out, int level)
    : stream_(std::make_unique<Stream>()), in_(std::move(in)), out_(std::move(out)) {
    if (deflateInit2(&stream_->z, level, Z_DEFLATED, kGzipWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) != Z_OK) {
        stream_.reset();
        throw Error(Error::Kind::Failed, "cannot start gzip compression (zlib deflateInit2 failed: out of memory?)");
    }
}

GzipCompressor::~GzipCompressor() {
    if (stream_) deflateEnd(&stream_->z);
}

void GzipCompressor::write_out(const unsigned char* data, size_t size) {
    while (size > 0) {
        ssize_t n = ::write(out_.get(), data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            throw Error(Error::Kind::Failed, std::string("cannot write compressed log: ") +
                                                 std::strerror(n < 0 ? errno : ENOSPC));
        data += n;
        size -= static_cast<size_t>(n);
    }
}

bool GzipCompressor::step(size_t max_input) {
    if (finished_) return true;
    std::vector<unsigned char> input(std::max<size_t>(max_input, 1));  // a read of 0 bytes would mean EOF
    ssize_t got;
    do got = ::read(in_.get(), input.data(), input.size());
    while (got < 0 && errno == EINTR);
    if (got < 0) throw Error(Error::Kind::Failed, std::string("cannot read rotated log: ") + std::strerror(errno));
    // A short read is not EOF for every file; only 0 is.
    int flush = got == 0 ? Z_FINISH : Z_NO_FLUSH;
    z_stream& z = stream_->z;
    z.next_in = input.data();
    z.avail_in = static_cast<uInt>(got);
    unsigned char output[64 * 1024];
    int rc;
    do {
        z.next_out = output;
        z.avail_out = sizeof output;
        rc = deflate(&z, flush);
        if (rc == Z_STREAM_ERROR) throw Error(Error::Kind::Failed, "gzip compression failed (zlib stream error)");
        write_out(output, sizeof output - z.avail_out);
    } while (z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    finished_ = rc == Z_STREAM_END;
    return finished_;
}

}  // namespace pmd
