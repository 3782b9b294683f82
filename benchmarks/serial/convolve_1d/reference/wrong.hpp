#pragma once
#include <vector>

// Wrong on purpose: computes the correlation (kernel not flipped), which equals the
// convolution only for symmetric kernels.
std::vector<double> convolve(const std::vector<double>& x, const std::vector<double>& h) {
    if (x.empty() || h.empty()) return {};
    const std::size_t n = x.size(), m = h.size();
    std::vector<double> y(n + m - 1, 0.0);
    for (std::size_t k = 0; k < m; ++k) {
        const double hk = h[m - 1 - k];
        double* out = y.data() + k;
        for (std::size_t j = 0; j < n; ++j) out[j] += hk * x[j];
    }
    return y;
}
