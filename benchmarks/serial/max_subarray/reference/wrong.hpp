#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

// Wrong on purpose: the textbook variant clamped at zero, which answers 0 when every element
// is negative (the empty run is not allowed).
int64_t max_subarray_sum(const std::vector<int>& a) {
    int64_t best = 0, ending = 0;
    for (int v : a) {
        ending = std::max<int64_t>(ending + v, 0);
        best = std::max(best, ending);
    }
    return best;
}
