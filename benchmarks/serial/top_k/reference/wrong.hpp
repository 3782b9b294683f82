#pragma once
#include <algorithm>
#include <numeric>
#include <vector>

// Wrong on purpose: equal values come out with the larger index first.
std::vector<int> top_k_indices(const std::vector<double>& v, int k) {
    const int n = static_cast<int>(v.size());
    if (k <= 0) return {};
    if (k > n) k = n;
    std::vector<int> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int a, int b) {
        return v[a] > v[b] || (v[a] == v[b] && a > b);
    });
    idx.resize(k);
    return idx;
}
