// libFuzzer target: app files (TOML) through parse_app_text. Anything may be rejected, as a
// pmd::Error; nothing may crash, hang, leak or trip a sanitizer. A spec that is accepted must
// pass validate_spec and survive a dump → parse round trip unchanged (what `pmctl save` relies on).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/error.h"
#include "config/app_dump.h"
#include "config/app_file.h"
#include "config/spec_validation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<pmd::AppSpec> specs;
    try {
        specs = pmd::parse_app_text(text, "fuzz.toml", "/srv");
    } catch (const pmd::Error&) {
        return 0;
    }
    for (const auto& spec : specs) pmd::validate_spec(spec);  // throws (and so aborts) if parse let a bad one through
    if (specs.empty()) return 0;
    auto again = pmd::parse_app_text(pmd::dump_apps(specs), "dump.toml", "/");
    if (again != specs) std::abort();
    return 0;
}
