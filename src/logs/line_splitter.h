// LineSplitter: turns the bytes read from an instance's pipe into lines. A line ends at '\n'
// (not included); one longer than kMaxLineBytes is cut into pieces of that size, each logged
// as its own line, so one runaway writer cannot make pmd buffer without bound. A trailing piece
// without '\n' waits for more bytes, and is emitted by finish() at EOF.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace pmd {

class LineSplitter {
public:
    // journald's default LineMax is 48K; 16 KiB keeps one journal datagram and one file write
    // small while leaving every ordinary log line whole. Documented in docs/logs.md.
    static constexpr size_t kMaxLineBytes = 16 * 1024;
    using Emit = std::function<void(std::string_view line)>;

    explicit LineSplitter(size_t max_line = kMaxLineBytes) : max_line_(max_line) {}

    void feed(std::string_view data, const Emit& emit);
    // At EOF: an unterminated last line is still a line.
    void finish(const Emit& emit);
    size_t pending_bytes() const { return pending_.size(); }
    // Re-exec: the unterminated rest moves to the next pmd's splitter.
    std::string take_pending() { return std::exchange(pending_, {}); }
    void restore_pending(std::string pending) { pending_ = std::move(pending); }

private:
    size_t max_line_;
    std::string pending_;
};

}  // namespace pmd
