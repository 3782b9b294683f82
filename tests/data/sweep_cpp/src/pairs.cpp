// The hot function: a quadratic count of the pairs at most `within` apart.
#include "pairs.hpp"

#include <algorithm>

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
