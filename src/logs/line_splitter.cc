#include "logs/line_splitter.h"

namespace pmd {

void LineSplitter::feed(std::string_view data, const Emit& emit) {
    while (!data.empty()) {
        size_t nl = data.find('\n');
        size_t room = max_line_ - pending_.size();
        if (nl != std::string_view::npos && nl <= room) {
            // Most lines arrive whole inside one read: emit them without copying.
            if (pending_.empty()) {
                emit(data.substr(0, nl));
            } else {
                pending_.append(data.substr(0, nl));
                emit(pending_);
                pending_.clear();
            }
            data.remove_prefix(nl + 1);
            continue;
        }
        if (nl == std::string_view::npos && data.size() < room) {
            pending_.append(data);
            return;
        }
        // The line is longer than the limit: cut it there.
        pending_.append(data.substr(0, room));
        data.remove_prefix(room);
        emit(pending_);
        pending_.clear();
    }
}

void LineSplitter::finish(const Emit& emit) {
    if (pending_.empty()) return;
    emit(pending_);
    pending_.clear();
}

}  // namespace pmd
