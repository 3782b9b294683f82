#pragma once
#include <vector>

// out[i] = mean of x[max(0, i - w + 1)] .. x[i]: a trailing window of w values, shorter at the
// start of the series. w >= 1.
std::vector<double> moving_average(const std::vector<double>& x, int w) {
    std::vector<double> out(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
        std::size_t lo = i + 1 >= static_cast<std::size_t>(w) ? i + 1 - w : 0;
        double sum = 0.0;
        for (std::size_t k = lo; k <= i; ++k) sum += x[k];
        out[i] = sum / static_cast<double>(i - lo + 1);
    }
    return out;
}
