#pragma once
#include <cstdint>
#include <vector>

// One Game of Life step on a row-major rows x cols grid of 0/1 cells, wrapping at the edges
// (a torus): a live cell with 2 or 3 live neighbours lives, a dead cell with exactly 3 is born.
std::vector<uint8_t> life_step(const std::vector<uint8_t>& grid, int rows, int cols) {
    std::vector<uint8_t> next(grid.size(), 0);
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            int live = 0;
            for (int dr = -1; dr <= 1; ++dr) {
                for (int dc = -1; dc <= 1; ++dc) {
                    if (dr == 0 && dc == 0) continue;
                    int rr = ((r + dr) % rows + rows) % rows;
                    int cc = ((c + dc) % cols + cols) % cols;
                    live += grid[static_cast<std::size_t>(rr) * cols + cc];
                }
            }
            uint8_t alive = grid[static_cast<std::size_t>(r) * cols + c];
            next[static_cast<std::size_t>(r) * cols + c] = (live == 3 || (alive && live == 2)) ? 1 : 0;
        }
    }
    return next;
}
