// libFuzzer target: StartApp requests (a{sv}) through decode_spec, the way pmd decodes them
// off the bus. The bytes choose keys (mostly real app keys, so the decoder gets past "unknown
// key") and values of every D-Bus type a client could send, nested. Anything may be rejected
// as a pmd::Error; nothing may crash or trip a sanitizer; an accepted spec must be valid.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "bus/spec_codec.h"
#include "config/app_fields.h"
#include "config/spec_validation.h"

namespace {

sdbus::Variant random_value(FuzzedDataProvider& in, int depth);

// A D-Bus string is valid UTF-8 (no overlong forms, no surrogates) without NUL: the bus refuses
// anything else before pmd sees it, and sdbus-c++ throws while building the message. So the
// fuzzer asks sd-bus itself whether a string could be sent, and folds it to ASCII if not.
std::string bus_string(FuzzedDataProvider& in, size_t max_length) {
    std::string s = in.ConsumeRandomLengthString(max_length);
    try {
        sdbus::Variant probe(s);
    } catch (const sdbus::Error&) {
        for (char& c : s)
            if (c == '\0' || static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
    return s;
}

std::string random_key(FuzzedDataProvider& in) {
    auto keys = pmd::app_table_keys();
    if (in.ConsumeBool() && !keys.empty()) return std::string(keys[in.ConsumeIntegralInRange<size_t>(0, keys.size() - 1)]);
    return bus_string(in, 24);
}

pmd::VariantMap random_map(FuzzedDataProvider& in, int depth) {
    pmd::VariantMap map;
    size_t n = in.ConsumeIntegralInRange<size_t>(0, 8);
    for (size_t i = 0; i < n && in.remaining_bytes() > 0; ++i) map[random_key(in)] = random_value(in, depth + 1);
    return map;
}

sdbus::Variant random_value(FuzzedDataProvider& in, int depth) {
    switch (in.ConsumeIntegralInRange<int>(0, depth > 3 ? 8 : 11)) {
        case 0: return sdbus::Variant(bus_string(in, 64));
        case 1: return sdbus::Variant(in.ConsumeIntegral<int64_t>());
        case 2: return sdbus::Variant(in.ConsumeIntegral<int32_t>());
        case 3: return sdbus::Variant(in.ConsumeIntegral<uint32_t>());
        case 4: return sdbus::Variant(in.ConsumeIntegral<uint64_t>());
        case 5: return sdbus::Variant(in.ConsumeFloatingPoint<double>());
        case 6: return sdbus::Variant(in.ConsumeBool());
        case 7: return sdbus::Variant(in.ConsumeIntegral<uint8_t>());
        case 8: {
            std::vector<std::string> v;
            size_t n = in.ConsumeIntegralInRange<size_t>(0, 6);
            for (size_t i = 0; i < n; ++i) v.push_back(bus_string(in, 32));
            return sdbus::Variant(v);
        }
        case 9: {
            std::map<std::string, std::string> m;
            size_t n = in.ConsumeIntegralInRange<size_t>(0, 6);
            for (size_t i = 0; i < n; ++i) m[bus_string(in, 16)] = bus_string(in, 32);
            return sdbus::Variant(m);
        }
        case 10: return sdbus::Variant(random_map(in, depth));
        default: {
            std::vector<pmd::VariantMap> v;
            size_t n = in.ConsumeIntegralInRange<size_t>(0, 3);
            for (size_t i = 0; i < n; ++i) v.push_back(random_map(in, depth + 1));
            return sdbus::Variant(v);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    pmd::VariantMap request = random_map(in, 0);
    try {
        pmd::AppSpec spec = pmd::decode_spec(request);
        // What the Manager does next; an accepted request must be a valid spec or be refused here.
        pmd::validate_spec(spec);
        pmd::encode_spec(spec);
    } catch (const pmd::Error&) {
    }
    return 0;
}
