#pragma once
#include <cstdint>
#include <string>
#include <vector>

// Wrong on purpose: the sign flag is never reset, so every field after a negative one comes
// out negative.
std::vector<int64_t> parse_ints(const std::string& csv) {
    std::vector<int64_t> values;
    const char* p = csv.data();
    const char* end = p + csv.size();
    bool negative = false;
    while (p < end) {
        if (*p == '-') {
            negative = true;
            ++p;
        }
        uint64_t v = 0;
        while (p < end && *p != ',') v = v * 10 + static_cast<uint64_t>(*p++ - '0');
        values.push_back(negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v));
        ++p;
    }
    return values;
}
