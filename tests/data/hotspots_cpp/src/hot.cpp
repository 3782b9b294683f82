// The hot function: a quadratic pair count, most of the workload's time.
#include "shapes.hpp"

long count_close_pairs(const std::vector<long>& xs, long within) {
    long pairs = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        for (std::size_t j = i + 1; j < xs.size(); ++j) {
            long d = xs[i] - xs[j];
            if (d < 0) d = -d;
            if (d <= within) ++pairs;
        }
    }
    return pairs;
}
