// Counting how often each value occurs: the histogram of small non-negative integers (pixel
// intensities, bucket ids, ...).
//
// This version is deliberately slow but correct: it counts through an ordered std::map, one
// tree lookup (and pointer chasing) per value, then copies the counts out. It is the starting
// point for `lessonl optimize examples/cpp-histogram/src/histogram.hpp:histogram`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

// Returns counts where counts[b] is how many elements of `values` equal b, for b in
// [0, bins). Values outside [0, bins) are ignored.
inline std::vector<std::uint64_t> histogram(const std::vector<int>& values, int bins) {
    std::map<int, std::uint64_t> seen;
    for (std::size_t i = 0; i < values.size(); ++i) {
        int v = values[i];
        if (v >= 0 && v < bins) {
            seen[v] += 1;
        }
    }
    std::vector<std::uint64_t> counts;
    for (int b = 0; b < bins; ++b) {
        auto it = seen.find(b);
        counts.push_back(it == seen.end() ? 0 : it->second);
    }
    return counts;
}
