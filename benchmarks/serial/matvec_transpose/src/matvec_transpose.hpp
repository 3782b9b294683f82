#pragma once
#include <cstddef>
#include <vector>

// y = A^T x: A is m x n row-major, x has m entries, the result has n entries.
std::vector<double> matvec_transpose(const std::vector<double>& A, const std::vector<double>& x,
                                     int m, int n) {
    std::vector<double> y(n);
    for (int j = 0; j < n; ++j) {
        double sum = 0.0;
        for (int i = 0; i < m; ++i) sum += A[static_cast<std::size_t>(i) * n + j] * x[i];
        y[j] = sum;
    }
    return y;
}
