#pragma once
#include <cstdint>
#include <cstring>
#include <string>

// Wrong on purpose: after a match it skips past the whole match, so overlapping occurrences
// are missed.
int64_t count_occurrences(const std::string& text, const std::string& pattern) {
    const std::size_t m = pattern.size(), n = text.size();
    if (m == 0 || m > n) return 0;
    int64_t count = 0;
    for (std::size_t i = 0; i + m <= n;) {
        if (std::memcmp(text.data() + i, pattern.data(), m) == 0) {
            ++count;
            i += m;
        } else {
            ++i;
        }
    }
    return count;
}
