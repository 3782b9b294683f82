#pragma once
#include <vector>

struct Entry {
    int index;
    double value;
};

// Wrong on purpose: the merge loop stops one entry early in a, so a match on a's last entry is
// missed.
double sparse_dot(const std::vector<Entry>& a, const std::vector<Entry>& b) {
    double sum = 0.0;
    std::size_t i = 0, j = 0;
    while (i + 1 < a.size() && j < b.size()) {
        int ia = a[i].index, ib = b[j].index;
        if (ia == ib) sum += a[i++].value * b[j++].value;
        else if (ia < ib) ++i;
        else ++j;
    }
    return sum;
}
