#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

// Largest sum of a non-empty contiguous run a[i..j]; 0 for an empty array. Kadane: the best
// run ending at j either extends the best run ending at j-1 or starts afresh at j.
int64_t max_subarray_sum(const std::vector<int>& a) {
    if (a.empty()) return 0;
    int64_t best = a[0], ending = a[0];
    for (std::size_t j = 1; j < a.size(); ++j) {
        ending = std::max<int64_t>(ending + a[j], a[j]);
        best = std::max(best, ending);
    }
    return best;
}
