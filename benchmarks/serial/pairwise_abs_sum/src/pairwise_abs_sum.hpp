#pragma once
#include <cstdint>
#include <cstdlib>
#include <vector>

// Sum of |a[i] - a[j]| over all pairs i < j. Inputs keep the result within int64.
int64_t pairwise_abs_sum(const std::vector<int>& a) {
    int64_t total = 0;
    const std::size_t n = a.size();
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = i + 1; j < n; ++j) {
            total += std::llabs(static_cast<int64_t>(a[i]) - a[j]);
        }
    }
    return total;
}
