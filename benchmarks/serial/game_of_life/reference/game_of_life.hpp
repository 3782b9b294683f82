#pragma once
#include <cstdint>
#include <vector>

// One Game of Life step on a row-major rows x cols grid of 0/1 cells, wrapping at the edges
// (a torus): a live cell with 2 or 3 live neighbours lives, a dead cell with exactly 3 is born.
// Row pointers for the wrapped rows are computed once per row; the interior columns need no
// wrapping, so the inner loop is branch-free.
std::vector<uint8_t> life_step(const std::vector<uint8_t>& grid, int rows, int cols) {
    std::vector<uint8_t> next(grid.size(), 0);
    if (rows == 0 || cols == 0) return next;
    auto rule = [](int live, uint8_t alive) -> uint8_t { return (live == 3) | (alive & (live == 2)); };
    for (int r = 0; r < rows; ++r) {
        const uint8_t* up = grid.data() + static_cast<std::size_t>((r + rows - 1) % rows) * cols;
        const uint8_t* mid = grid.data() + static_cast<std::size_t>(r) * cols;
        const uint8_t* down = grid.data() + static_cast<std::size_t>((r + 1) % rows) * cols;
        uint8_t* out = next.data() + static_cast<std::size_t>(r) * cols;
        auto edge = [&](int c) {
            int l = (c + cols - 1) % cols, rr = (c + 1) % cols;
            int live = up[l] + up[c] + up[rr] + mid[l] + mid[rr] + down[l] + down[c] + down[rr];
            out[c] = rule(live, mid[c]);
        };
        edge(0);
        for (int c = 1; c + 1 < cols; ++c) {
            int live = up[c - 1] + up[c] + up[c + 1] + mid[c - 1] + mid[c + 1] + down[c - 1] +
                       down[c] + down[c + 1];
            out[c] = rule(live, mid[c]);
        }
        if (cols > 1) edge(cols - 1);
    }
    return next;
}
