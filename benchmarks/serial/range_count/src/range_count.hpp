#pragma once
#include <utility>
#include <vector>

// result[q] = number of x in data with queries[q].first <= x <= queries[q].second.
std::vector<int> count_in_ranges(const std::vector<int>& data,
                                 const std::vector<std::pair<int, int>>& queries) {
    std::vector<int> result;
    for (const auto& [lo, hi] : queries) {
        int count = 0;
        for (int x : data) {
            if (x >= lo && x <= hi) ++count;
        }
        result.push_back(count);
    }
    return result;
}
