#pragma once
#include <cstddef>
#include <vector>

// Wrong on purpose: rows unrolled by two with no tail, so the last row is lost when m is odd.
std::vector<double> matvec_transpose(const std::vector<double>& A, const std::vector<double>& x,
                                     int m, int n) {
    std::vector<double> y(n, 0.0);
    for (int i = 0; i + 1 < m; i += 2) {
        const double x0 = x[i], x1 = x[i + 1];
        const double* r0 = A.data() + static_cast<std::size_t>(i) * n;
        const double* r1 = r0 + n;
        for (int j = 0; j < n; ++j) y[j] += r0[j] * x0 + r1[j] * x1;
    }
    return y;
}
