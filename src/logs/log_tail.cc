#include "logs/log_tail.h"

#include <algorithm>

namespace pmd {

const TailLine& LogTail::add(const LogLine& line) {
    Stream& s = of(line.stream);
    TailLine kept;
    kept.time_usec = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(line.time.time_since_epoch()).count());
    kept.seq = next_seq_++;
    kept.instance = line.instance;
    kept.stream = line.stream;
    kept.text.assign(line.text.substr(0, kLineBytes));
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
