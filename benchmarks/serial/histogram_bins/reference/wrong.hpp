#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

// Wrong on purpose: lower_bound puts a value equal to an inner edge into the bin below it.
std::vector<int64_t> histogram(const std::vector<double>& values, const std::vector<double>& edges) {
    const std::size_t bins = edges.size() < 2 ? 0 : edges.size() - 1;
    std::vector<int64_t> counts(bins, 0);
    if (bins == 0) return counts;
    const double lo = edges.front(), hi = edges.back();
    for (double v : values) {
        if (!(v >= lo && v <= hi)) continue;
        std::size_t b = std::lower_bound(edges.begin(), edges.end(), v) - edges.begin();
        b = b == 0 ? 0 : b - 1;
        ++counts[b];
    }
    return counts;
}
