#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

// counts[b] = number of values v with edges[b] <= v < edges[b + 1]; the last bin also counts
// v == edges.back(); values outside [edges.front(), edges.back()] are ignored. Edges are
// strictly increasing; fewer than two edges means no bins. Binary search per value.
std::vector<int64_t> histogram(const std::vector<double>& values, const std::vector<double>& edges) {
    const std::size_t bins = edges.size() < 2 ? 0 : edges.size() - 1;
    std::vector<int64_t> counts(bins, 0);
    if (bins == 0) return counts;
    const double lo = edges.front(), hi = edges.back();
    for (double v : values) {
        if (!(v >= lo && v <= hi)) continue;
        std::size_t b = std::upper_bound(edges.begin(), edges.end(), v) - edges.begin() - 1;
        if (b == bins) b = bins - 1;  // v == hi
        ++counts[b];
    }
    return counts;
}
