#pragma once
#include <algorithm>
#include <vector>

struct Entry {
    int index;
    double value;
};

// Dot product of two sparse vectors; each lists its non-zero entries by strictly increasing
// index.
double sparse_dot(const std::vector<Entry>& a, const std::vector<Entry>& b) {
    double sum = 0.0;
    for (const Entry& x : a) {
        auto it = std::lower_bound(b.begin(), b.end(), x.index,
                                   [](const Entry& e, int index) { return e.index < index; });
        if (it != b.end() && it->index == x.index) sum += x.value * it->value;
    }
    return sum;
}
