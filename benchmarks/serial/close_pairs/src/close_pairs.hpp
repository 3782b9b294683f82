#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

struct Point {
    int x, y;
};

// Number of unordered pairs {i, j}, i != j, with distance(p[i], p[j]) <= r (r >= 0).
// Coordinates are within +/- 1e8, so squared distances are exact in int64.
int64_t count_close_pairs(const std::vector<Point>& p, int r) {
    int64_t count = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
        for (std::size_t j = i + 1; j < p.size(); ++j) {
            double dx = p[i].x - static_cast<double>(p[j].x);
            double dy = p[i].y - static_cast<double>(p[j].y);
            if (std::sqrt(dx * dx + dy * dy) <= r) ++count;
        }
    }
    return count;
}
