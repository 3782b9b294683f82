#pragma once
#include <vector>

struct Entry {
    int index;
    double value;
};

// Dot product of two sparse vectors; each lists its non-zero entries by strictly increasing
// index. Both lists are sorted, so one merge pass finds every common index: O(|a| + |b|).
double sparse_dot(const std::vector<Entry>& a, const std::vector<Entry>& b) {
    double sum = 0.0;
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        int ia = a[i].index, ib = b[j].index;
        if (ia == ib) sum += a[i++].value * b[j++].value;
        else if (ia < ib) ++i;
        else ++j;
    }
    return sum;
}
