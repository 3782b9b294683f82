#pragma once
#include <vector>

// Indices of the k largest values in v, ordered by value descending, equal values by smaller
// index first. k >= v.size() returns every index in that order; k <= 0 returns none.
std::vector<int> top_k_indices(const std::vector<double>& v, int k) {
    const int n = static_cast<int>(v.size());
    std::vector<bool> taken(n, false);
    std::vector<int> result;
    for (int r = 0; r < k && r < n; ++r) {
        int best = -1;
        for (int i = 0; i < n; ++i) {
            if (!taken[i] && (best < 0 || v[i] > v[best])) best = i;
        }
        taken[best] = true;
        result.push_back(best);
    }
    return result;
}
