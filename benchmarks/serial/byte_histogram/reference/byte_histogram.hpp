#pragma once
#include <array>
#include <cstdint>
#include <string>

// counts[b] = occurrences of byte value b (0..255) in s. Four interleaved count tables break
// the store-to-load dependency when the same byte repeats.
std::array<int64_t, 256> byte_histogram(const std::string& s) {
    uint32_t part[4][256] = {};
    std::array<int64_t, 256> counts{};
    const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
    std::size_t n = s.size(), i = 0;
    while (i < n) {
        // Flush before a 32-bit table could overflow.
        std::size_t stop = n - i > (1u << 30) ? i + (1u << 30) : n;
        for (; i + 4 <= stop; i += 4) {
            part[0][p[i]]++;
            part[1][p[i + 1]]++;
            part[2][p[i + 2]]++;
            part[3][p[i + 3]]++;
        }
        for (; i < stop; ++i) part[0][p[i]]++;
        for (int b = 0; b < 256; ++b) {
            counts[b] += int64_t(part[0][b]) + part[1][b] + part[2][b] + part[3][b];
            part[0][b] = part[1][b] = part[2][b] = part[3][b] = 0;
        }
    }
    return counts;
}
