#pragma once
#include <cstdint>
#include <vector>

// Wrong on purpose: treats everything beyond the edge as dead instead of wrapping around.
std::vector<uint8_t> life_step(const std::vector<uint8_t>& grid, int rows, int cols) {
    std::vector<uint8_t> next(grid.size(), 0);
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            int live = 0;
            for (int dr = -1; dr <= 1; ++dr) {
                for (int dc = -1; dc <= 1; ++dc) {
                    int rr = r + dr, cc = c + dc;
                    if ((dr == 0 && dc == 0) || rr < 0 || cc < 0 || rr >= rows || cc >= cols) continue;
                    live += grid[static_cast<std::size_t>(rr) * cols + cc];
                }
            }
            uint8_t alive = grid[static_cast<std::size_t>(r) * cols + c];
            next[static_cast<std::size_t>(r) * cols + c] = (live == 3 || (alive && live == 2)) ? 1 : 0;
        }
    }
    return next;
}
