#pragma once
#include <cstdint>
#include <string>

// Number of positions i where `pattern` occurs in `text` (overlaps count); 0 for an empty
// pattern.
int64_t count_occurrences(const std::string& text, const std::string& pattern) {
    if (pattern.empty() || pattern.size() > text.size()) return 0;
    int64_t count = 0;
    for (std::size_t i = 0; i + pattern.size() <= text.size(); ++i) {
        if (text.substr(i, pattern.size()) == pattern) ++count;
    }
    return count;
}
