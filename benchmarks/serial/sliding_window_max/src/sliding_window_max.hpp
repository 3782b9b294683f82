#pragma once
#include <algorithm>
#include <vector>

// out[i] = max(a[i], ..., a[i + w - 1]) for every full window; w >= 1. Empty when w > n.
std::vector<int> sliding_window_max(const std::vector<int>& a, int w) {
    std::vector<int> out;
    if (w > static_cast<int>(a.size())) return out;
    for (std::size_t i = 0; i + w <= a.size(); ++i) {
        out.push_back(*std::max_element(a.begin() + i, a.begin() + i + w));
    }
    return out;
}
