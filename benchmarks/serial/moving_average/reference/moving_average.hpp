#pragma once
#include <vector>

// out[i] = mean of x[max(0, i - w + 1)] .. x[i]: a trailing window of w values, shorter at the
// start of the series. w >= 1. A running sum: add the value entering the window, subtract the
// one leaving it, O(n) instead of O(n * w).
std::vector<double> moving_average(const std::vector<double>& x, int w) {
    const std::size_t n = x.size(), width = static_cast<std::size_t>(w);
    std::vector<double> out(n);
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        sum += x[i];
        if (i >= width) sum -= x[i - width];
        out[i] = sum / static_cast<double>(i < width ? i + 1 : width);
    }
    return out;
}
