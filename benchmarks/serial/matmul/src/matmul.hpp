#pragma once
#include <cstddef>
#include <vector>

// C = A * B, all row-major: A is m x k, B is k x n, C is m x n (already sized; its old
// contents are overwritten).
void matmul(const std::vector<double>& A, const std::vector<double>& B, std::vector<double>& C,
            int m, int k, int n) {
    for (int i = 0; i < m; ++i) {
        for (int j = 0; j < n; ++j) {
            double sum = 0.0;
            for (int p = 0; p < k; ++p) {
                sum += A[static_cast<std::size_t>(i) * k + p] * B[static_cast<std::size_t>(p) * n + j];
            }
            C[static_cast<std::size_t>(i) * n + j] = sum;
        }
    }
}
