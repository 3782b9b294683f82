#pragma once
#include <array>
#include <cstdint>
#include <string>

// Wrong on purpose: indexes with plain (signed) char and skips negative ones, so bytes >= 128
// are never counted.
std::array<int64_t, 256> byte_histogram(const std::string& s) {
    std::array<int64_t, 256> counts{};
    for (char c : s) {
        if (c < 0) continue;
        counts[static_cast<int>(c)]++;
    }
    return counts;
}
