#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

// How many pairs i < j have v[i] + v[j] < limit.
inline long long count_pairs_below(const int* v, std::size_t n, int limit) {
    long long count = 0;
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = i + 1; j < n; ++j) {
            if (v[i] + v[j] < limit) {
                ++count;
            }
        }
    }
    return count;
}
