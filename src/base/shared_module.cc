#include "base/shared_module.h"

#include <dlfcn.h>

#include "base/error.h"

namespace pmd {

SharedModule& SharedModule::operator=(SharedModule&& other) noexcept {
    if (this != &other) {
        if (handle_) dlclose(handle_);
        handle_ = std::exchange(other.handle_, nullptr);
        path_ = std::move(other.path_);
    }
    return *this;
}

SharedModule::~SharedModule() {
    if (handle_) dlclose(handle_);
}

SharedModule SharedModule::open(const std::string& path) {
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* why = dlerror();
        throw Error(Error::Kind::Failed, "cannot load " + path + ": " + (why ? why : "unknown dlopen error"));
    }
    return SharedModule(handle, path);
}

void* SharedModule::symbol(const char* name) const {
    dlerror();
    void* address = handle_ ? dlsym(handle_, name) : nullptr;
    if (!address)
        throw Error(Error::Kind::Failed, path_ + " has no symbol " + name +
                                             " (a module from another pmd build? reinstall the pmd package)");
    return address;
}

}  // namespace pmd
