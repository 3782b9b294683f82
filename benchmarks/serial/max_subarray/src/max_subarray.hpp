#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

// Best sum of a run that crosses from the left half [lo, mid) into the right half [mid, hi).
int64_t max_crossing_sum(const std::vector<int>& a, std::size_t lo, std::size_t mid,
                         std::size_t hi) {
    int64_t sum = 0, left = a[mid - 1];
    for (std::size_t i = mid; i-- > lo;) {
        sum += a[i];
        left = std::max(left, sum);
    }
    sum = 0;
    int64_t right = a[mid];
    for (std::size_t j = mid; j < hi; ++j) {
        sum += a[j];
        right = std::max(right, sum);
    }
    return left + right;
}

// Best run inside [lo, hi) (non-empty range): divide and conquer.
int64_t max_subarray_range(const std::vector<int>& a, std::size_t lo, std::size_t hi) {
    if (hi - lo == 1) return a[lo];
    std::size_t mid = lo + (hi - lo) / 2;
    return std::max({max_subarray_range(a, lo, mid), max_subarray_range(a, mid, hi),
                     max_crossing_sum(a, lo, mid, hi)});
}

// Largest sum of a non-empty contiguous run a[i..j]; 0 for an empty array.
int64_t max_subarray_sum(const std::vector<int>& a) {
    if (a.empty()) return 0;
    return max_subarray_range(a, 0, a.size());
}
