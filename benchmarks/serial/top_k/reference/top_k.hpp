#pragma once
#include <algorithm>
#include <numeric>
#include <vector>

// Indices of the k largest values in v, ordered by value descending, equal values by smaller
// index first. k >= v.size() returns every index in that order; k <= 0 returns none.
// partial_sort with a total order (value, then index) needs no stability.
std::vector<int> top_k_indices(const std::vector<double>& v, int k) {
    const int n = static_cast<int>(v.size());
    if (k <= 0) return {};
    if (k > n) k = n;
    std::vector<int> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int a, int b) {
        return v[a] > v[b] || (v[a] == v[b] && a < b);
    });
    idx.resize(k);
    return idx;
}
