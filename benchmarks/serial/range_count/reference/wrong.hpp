#pragma once
#include <algorithm>
#include <utility>
#include <vector>

// Wrong on purpose: lower_bound for the upper end makes hi exclusive.
std::vector<int> count_in_ranges(const std::vector<int>& data,
                                 const std::vector<std::pair<int, int>>& queries) {
    std::vector<int> sorted(data);
    std::sort(sorted.begin(), sorted.end());
    std::vector<int> result;
    result.reserve(queries.size());
    for (const auto& [lo, hi] : queries) {
        if (lo > hi) {
            result.push_back(0);
            continue;
        }
        auto first = std::lower_bound(sorted.begin(), sorted.end(), lo);
        auto last = std::lower_bound(first, sorted.end(), hi);
        result.push_back(static_cast<int>(last - first));
    }
    return result;
}
