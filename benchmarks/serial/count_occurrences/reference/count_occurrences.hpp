#pragma once
#include <cstdint>
#include <cstring>
#include <string>

// Number of positions i where `pattern` occurs in `text` (overlaps count); 0 for an empty
// pattern. memchr jumps to the next candidate first byte; memcmp checks the rest in place
// (no substring copies).
int64_t count_occurrences(const std::string& text, const std::string& pattern) {
    const std::size_t m = pattern.size(), n = text.size();
    if (m == 0 || m > n) return 0;
    const char* t = text.data();
    const char* last = t + (n - m);  // last possible start
    const char first = pattern[0];
    int64_t count = 0;
    for (const char* p = t; p <= last;) {
        p = static_cast<const char*>(std::memchr(p, first, static_cast<std::size_t>(last - p) + 1));
        if (!p) break;
        if (std::memcmp(p + 1, pattern.data() + 1, m - 1) == 0) ++count;
        ++p;
    }
    return count;
}
