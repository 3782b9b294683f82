#pragma once
#include <vector>

// Wrong on purpose: divides by w even while the window is still filling up.
std::vector<double> moving_average(const std::vector<double>& x, int w) {
    const std::size_t n = x.size(), width = static_cast<std::size_t>(w);
    std::vector<double> out(n);
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        sum += x[i];
        if (i >= width) sum -= x[i - width];
        out[i] = sum / static_cast<double>(width);
    }
    return out;
}
