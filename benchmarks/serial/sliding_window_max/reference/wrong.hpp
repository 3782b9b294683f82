#pragma once
#include <vector>

// Wrong on purpose: the front index expires one step late, so windows hold w + 1 elements.
std::vector<int> sliding_window_max(const std::vector<int>& a, int w) {
    const int n = static_cast<int>(a.size());
    std::vector<int> out;
    if (w > n) return out;
    out.reserve(n - w + 1);
    std::vector<int> dq(n);
    int head = 0, tail = 0;
    for (int j = 0; j < n; ++j) {
        while (tail > head && a[dq[tail - 1]] <= a[j]) --tail;
        dq[tail++] = j;
        if (dq[head] < j - w) ++head;
        if (j >= w - 1) out.push_back(a[dq[head]]);
    }
    return out;
}
