#pragma once
#include <cstddef>
#include <vector>

// Wrong on purpose: only interior cells are written; the boundary keeps out's stale contents.
void jacobi_step(const std::vector<double>& in, std::vector<double>& out, int rows, int cols) {
    const std::size_t w = static_cast<std::size_t>(cols);
    for (int r = 1; r + 1 < rows; ++r) {
        for (std::size_t c = 1; c + 1 < w; ++c) {
            std::size_t i = r * w + c;
            out[i] = 0.2 * (in[i] + in[i - w] + in[i + w] + in[i - 1] + in[i + 1]);
        }
    }
}
