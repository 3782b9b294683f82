#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

// Wrong on purpose: removes duplicate values before summing, so repeated values count once.
int64_t pairwise_abs_sum(const std::vector<int>& a) {
    std::vector<int> s(a);
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    int64_t total = 0, prefix = 0;
    for (std::size_t k = 0; k < s.size(); ++k) {
        total += static_cast<int64_t>(k) * s[k] - prefix;
        prefix += s[k];
    }
    return total;
}
