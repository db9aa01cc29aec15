// SharedModule owns one dlopen() handle: a part of pmd that lives in a separate .so so its
// libraries are mapped only into a daemon that uses it (the metrics endpoint: cpp-httplib and
// the OpenSSL, zlib and brotli it links). States: empty (default, or after a failed open) or
// loaded; dlclose runs exactly once, when the loaded handle is destroyed.
#pragma once

#include <string>
#include <utility>

namespace pmd {

class SharedModule {
public:
    SharedModule() = default;
    SharedModule(SharedModule&& other) noexcept
        : handle_(std::exchange(other.handle_, nullptr)), path_(std::move(other.path_)) {}
    SharedModule& operator=(SharedModule&& other) noexcept;
    SharedModule(const SharedModule&) = delete;
    SharedModule& operator=(const SharedModule&) = delete;
    ~SharedModule();

    // Loads path with every symbol resolved now (RTLD_NOW: a missing library or symbol is an
    // error here, not a crash at the first call) and kept local to the module. Throws Error
    // (Failed) naming the path and dlerror()'s reason.
    static SharedModule open(const std::string& path);

    // The address of a symbol the module exports; throws Error (Failed) when it has none.
    void* symbol(const char* name) const;

    explicit operator bool() const { return handle_ != nullptr; }

private:
    explicit SharedModule(void* handle, std::string path) : handle_(handle), path_(std::move(path)) {}
    void* handle_ = nullptr;
    std::string path_;
};

}  // namespace pmd
