#include "logs/log_tail.h"

#include <algorithm>

namespace pmd {

namespace {

// D-Bus strings are UTF-8 without NUL, and a message with anything else cannot be sent: an
// app that prints binary (or a line cut inside a character) would make its Logs fail. Bytes
// that are not well-formed UTF-8, and NUL, become U+FFFD.
std::string valid_utf8(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    size_t n = in.size();
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        bool ok = len > 0 && c != 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xc0) == 0x80;
        if (ok && len > 1) {
            uint32_t cp = c & (0x7f >> len);
            for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (p[i + k] & 0x3f);
            static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
            ok = cp >= kMin[len] && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
        }
        if (ok) {
            out.append(in.substr(i, len));
            i += len;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

}  // namespace

const TailLine& LogTail::add(const LogLine& line) {
    Stream& s = of(line.stream);
    TailLine kept;
    kept.time_usec = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(line.time.time_since_epoch()).count());
    kept.seq = next_seq_++;
    kept.instance = line.instance;
    kept.stream = line.stream;
    kept.text = valid_utf8(line.text.substr(0, kLineBytes));
    s.bytes += kept.text.size();
    s.lines.push_back(std::move(kept));
    while (s.lines.size() > kLines || (s.bytes > kBytes && s.lines.size() > 1)) {
        s.bytes -= s.lines.front().text.size();
        s.lines.pop_front();
    }
    return s.lines.back();
}

std::vector<TailLine> LogTail::last(std::optional<LogStream> stream, size_t max) const {
    std::vector<TailLine> out;
    auto take = [&](const Stream& s) {
        size_t n = std::min(max, s.lines.size());
        out.insert(out.end(), s.lines.end() - static_cast<std::ptrdiff_t>(n), s.lines.end());
    };
    if (!stream || *stream == LogStream::Out) take(out_);
    if (!stream || *stream == LogStream::Err) take(err_);
    if (!stream) {
        std::sort(out.begin(), out.end(), [](const TailLine& a, const TailLine& b) { return a.seq < b.seq; });
        if (out.size() > max) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(max));
    }
    return out;
}

}  // namespace pmd
