#pragma once
#include <cstdint>
#include <vector>

// counts[b] = number of values v with edges[b] <= v < edges[b + 1]; the last bin also counts
// v == edges.back(); values outside [edges.front(), edges.back()] are ignored. Edges are
// strictly increasing; fewer than two edges means no bins.
std::vector<int64_t> histogram(const std::vector<double>& values, const std::vector<double>& edges) {
    const std::size_t bins = edges.size() < 2 ? 0 : edges.size() - 1;
    std::vector<int64_t> counts(bins, 0);
    for (double v : values) {
        for (std::size_t b = 0; b < bins; ++b) {
            bool last = b + 1 == bins;
            if (v >= edges[b] && (v < edges[b + 1] || (last && v == edges[b + 1]))) {
                ++counts[b];
                break;
            }
        }
    }
    return counts;
}
