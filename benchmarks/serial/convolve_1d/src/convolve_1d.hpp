#pragma once
#include <vector>

// Full convolution: y[i] = sum over k of h[k] * x[i - k], for i in [0, n + m - 1), with x taken
// as zero outside [0, n). Empty if x or h is empty.
std::vector<double> convolve(const std::vector<double>& x, const std::vector<double>& h) {
    if (x.empty() || h.empty()) return {};
    const long n = static_cast<long>(x.size()), m = static_cast<long>(h.size());
    std::vector<double> y(n + m - 1);
    for (long i = 0; i < n + m - 1; ++i) {
        // The samples under the kernel, zero-padded at both ends of the signal.
        std::vector<double> window(m, 0.0);
        for (long k = 0; k < m; ++k) {
            if (i - k >= 0 && i - k < n) window[k] = x[i - k];
        }
        double sum = 0.0;
        for (long k = 0; k < m; ++k) sum += h[k] * window[k];
        y[i] = sum;
    }
    return y;
}
