#pragma once
#include <cstddef>
#include <vector>

// C = A * B, all row-major: A is m x k, B is k x n, C is m x n (already sized; its old
// contents are overwritten). i-p-j loop order: the inner loop streams rows of B and C.
void matmul(const std::vector<double>& A, const std::vector<double>& B, std::vector<double>& C,
            int m, int k, int n) {
    for (int i = 0; i < m; ++i) {
        double* c = C.data() + static_cast<std::size_t>(i) * n;
        for (int j = 0; j < n; ++j) c[j] = 0.0;
        const double* a = A.data() + static_cast<std::size_t>(i) * k;
        for (int p = 0; p < k; ++p) {
            const double aip = a[p];
            const double* b = B.data() + static_cast<std::size_t>(p) * n;
            for (int j = 0; j < n; ++j) c[j] += aip * b[j];
        }
    }
}
