#pragma once
#include <cstdint>
#include <string>
#include <vector>

// Parse "12,-7,0,42" into {12, -7, 0, 42}. Fields are decimal integers that fit in int64, with
// an optional leading '-'; no spaces; "" gives {}. One pass over the bytes, accumulating in
// unsigned arithmetic so INT64_MIN parses without overflow.
std::vector<int64_t> parse_ints(const std::string& csv) {
    std::vector<int64_t> values;
    if (csv.empty()) return values;
    std::size_t commas = 0;
    for (char c : csv) commas += c == ',';
    values.reserve(commas + 1);
    const char* p = csv.data();
    const char* end = p + csv.size();
    while (p < end) {
        bool negative = *p == '-';
        p += negative;
        uint64_t v = 0;
        while (p < end && *p != ',') v = v * 10 + static_cast<uint64_t>(*p++ - '0');
        values.push_back(negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v));
        ++p;  // skip the comma
    }
    return values;
}
