#include "base/error.h"

namespace pmd {

std::string_view error_kind_name(Error::Kind kind) {
    switch (kind) {
        case Error::Kind::InvalidSpec: return "InvalidSpec";
        case Error::Kind::NoSuchApp: return "NoSuchApp";
        case Error::Kind::AlreadyExists: return "AlreadyExists";
        case Error::Kind::ExecFailed: return "ExecFailed";
        case Error::Kind::AccessDenied: return "AccessDenied";
        case Error::Kind::Busy: return "Busy";
        case Error::Kind::NoSuchInstance: return "NoSuchInstance";
        case Error::Kind::NotRunning: return "NotRunning";
        case Error::Kind::Failed: return "Failed";
    }
    return "Failed";
}

}  // namespace pmd
