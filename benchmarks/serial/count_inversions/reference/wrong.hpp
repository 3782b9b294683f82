#pragma once
#include <cstdint>
#include <vector>

// Wrong on purpose: takes from the right run on ties too, so equal pairs count as inversions.
int64_t count_inversions(const std::vector<int>& a) {
    const std::size_t n = a.size();
    std::vector<int> src(a), dst(n);
    int64_t count = 0;
    for (std::size_t width = 1; width < n; width *= 2) {
        for (std::size_t lo = 0; lo < n; lo += 2 * width) {
            std::size_t mid = lo + width < n ? lo + width : n;
            std::size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            std::size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                if (src[j] <= src[i]) {
                    count += static_cast<int64_t>(mid - i);
                    dst[k++] = src[j++];
                } else {
                    dst[k++] = src[i++];
                }
            }
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        src.swap(dst);
    }
    return count;
}
