#pragma once
#include <cstddef>
#include <vector>

// One Jacobi sweep on a row-major rows x cols grid: every interior cell of `out` becomes
// 0.2 * (centre + north + south + west + east) of `in`; boundary cells are copied from `in`.
// `out` is already sized; its old contents are overwritten.
void jacobi_step(const std::vector<double>& in, std::vector<double>& out, int rows, int cols) {
    for (int c = 0; c < cols; ++c) {
        for (int r = 0; r < rows; ++r) {
            std::size_t i = static_cast<std::size_t>(r) * cols + c;
            if (r == 0 || c == 0 || r == rows - 1 || c == cols - 1) {
                out[i] = in[i];
            } else {
                out[i] = 0.2 * (in[i] + in[i - cols] + in[i + cols] + in[i - 1] + in[i + 1]);
            }
        }
    }
}
