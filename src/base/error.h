// pmd::Error is the one way the core reports a failure a caller can act on. Its Kind maps 1:1
// to a named D-Bus error (org.pmd.God1.Error.<Kind>) at the bus boundary; the message is for a
// person and says what happened, to what, and what to do.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace pmd {

class Error : public std::runtime_error {
public:
    enum class Kind {
        InvalidSpec,    // a request or file asks for something malformed or out of bounds
        NoSuchApp,      // the named app does not exist
        AlreadyExists,  // an app of that name exists already
        ExecFailed,     // the command could not be started (missing file, permission, user, cwd)
        AccessDenied,   // the caller may not do this
        Busy,           // the app is in a transition that excludes this request
        NoSuchInstance, // the app has no instance of that index
        NotRunning,     // the instance (or app) has no process now
        Failed,         // anything else; the message says what
    };

    Error(Kind kind, std::string message) : std::runtime_error(std::move(message)), kind_(kind) {}

    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

// The D-Bus error suffix for a kind, e.g. "NoSuchApp".
std::string_view error_kind_name(Error::Kind kind);

}  // namespace pmd
