#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

// Sum of |a[i] - a[j]| over all pairs i < j. After sorting, element k is larger than or equal
// to the k before it, so it contributes k * s[k] - (sum of those k): O(n log n).
int64_t pairwise_abs_sum(const std::vector<int>& a) {
    std::vector<int> s(a);
    std::sort(s.begin(), s.end());
    int64_t total = 0, prefix = 0;
    for (std::size_t k = 0; k < s.size(); ++k) {
        total += static_cast<int64_t>(k) * s[k] - prefix;
        prefix += s[k];
    }
    return total;
}
