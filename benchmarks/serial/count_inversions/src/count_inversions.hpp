#pragma once
#include <cstdint>
#include <vector>

// Number of pairs i < j with a[i] > a[j].
int64_t count_inversions(const std::vector<int>& a) {
    int64_t count = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        for (std::size_t j = i + 1; j < a.size(); ++j) {
            if (a[i] > a[j]) ++count;
        }
    }
    return count;
}
