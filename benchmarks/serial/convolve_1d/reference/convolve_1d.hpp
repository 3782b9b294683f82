#pragma once
#include <algorithm>
#include <vector>

// Full convolution: y[i] = sum over k of h[k] * x[i - k], for i in [0, n + m - 1), with x taken
// as zero outside [0, n). Empty if x or h is empty. Each output sums only the taps whose
// sample exists (no padding, no allocation, no per-tap bounds test), with four independent
// partial sums so consecutive multiply-adds do not wait for each other.
std::vector<double> convolve(const std::vector<double>& x, const std::vector<double>& h) {
    if (x.empty() || h.empty()) return {};
    const std::size_t n = x.size(), m = h.size();
    std::vector<double> y(n + m - 1);
    const double* xs = x.data();
    const double* hs = h.data();
    for (std::size_t i = 0; i < n + m - 1; ++i) {
        const std::size_t k_lo = i >= n ? i - n + 1 : 0;  // keeps i - k < n
        const std::size_t k_end = std::min(i, m - 1) + 1;  // keeps i - k >= 0
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        std::size_t k = k_lo;
        for (; k + 4 <= k_end; k += 4) {
            s0 += hs[k] * xs[i - k];
            s1 += hs[k + 1] * xs[i - k - 1];
            s2 += hs[k + 2] * xs[i - k - 2];
            s3 += hs[k + 3] * xs[i - k - 3];
        }
        for (; k < k_end; ++k) s0 += hs[k] * xs[i - k];
        y[i] = (s0 + s1) + (s2 + s3);
    }
    return y;
}
