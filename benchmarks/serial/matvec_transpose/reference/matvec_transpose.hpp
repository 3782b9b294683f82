#pragma once
#include <cstddef>
#include <vector>

// y = A^T x: A is m x n row-major, x has m entries, the result has n entries.
// Row order: every row of A is streamed once and scaled into y.
std::vector<double> matvec_transpose(const std::vector<double>& A, const std::vector<double>& x,
                                     int m, int n) {
    std::vector<double> y(n, 0.0);
    double* out = y.data();
    for (int i = 0; i < m; ++i) {
        const double xi = x[i];
        const double* row = A.data() + static_cast<std::size_t>(i) * n;
        for (int j = 0; j < n; ++j) out[j] += row[j] * xi;
    }
    return y;
}
