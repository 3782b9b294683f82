#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>

// counts[b] = occurrences of byte value b (0..255) in s.
std::array<int64_t, 256> byte_histogram(const std::string& s) {
    std::map<unsigned char, int64_t> seen;
    for (char c : s) seen[static_cast<unsigned char>(c)]++;
    std::array<int64_t, 256> counts{};
    for (const auto& [byte, count] : seen) counts[byte] = count;
    return counts;
}
