#pragma once
#include <cstddef>
#include <cstring>
#include <vector>

// One Jacobi sweep on a row-major rows x cols grid: every interior cell of `out` becomes
// 0.2 * (centre + north + south + west + east) of `in`; boundary cells are copied from `in`.
// Row order (unit stride) with the boundary handled outside the branch-free inner loop.
void jacobi_step(const std::vector<double>& in, std::vector<double>& out, int rows, int cols) {
    if (rows <= 0 || cols <= 0) return;
    const std::size_t w = static_cast<std::size_t>(cols);
    std::memcpy(out.data(), in.data(), w * sizeof(double));
    if (rows == 1) return;
    for (int r = 1; r + 1 < rows; ++r) {
        const double* up = in.data() + (r - 1) * w;
        const double* mid = up + w;
        const double* down = mid + w;
        double* o = out.data() + r * w;
        o[0] = mid[0];
        for (std::size_t c = 1; c + 1 < w; ++c) {
            o[c] = 0.2 * (mid[c] + up[c] + down[c] + mid[c - 1] + mid[c + 1]);
        }
        o[w - 1] = mid[w - 1];
    }
    std::memcpy(out.data() + (rows - 1) * w, in.data() + (rows - 1) * w, w * sizeof(double));
}
