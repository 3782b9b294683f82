#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

struct Point {
    int x, y;
};

// Number of unordered pairs {i, j}, i != j, with distance(p[i], p[j]) <= r (r >= 0).
// Coordinates are within +/- 1e8, so squared distances are exact in int64.
// Sort by x and sweep: only points within r in x of each other are compared, with an exact
// integer test on squared distances.
int64_t count_close_pairs(const std::vector<Point>& p, int r) {
    std::vector<Point> s(p);
    std::sort(s.begin(), s.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
    const int64_t r2 = static_cast<int64_t>(r) * r;
    int64_t count = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        for (std::size_t j = i + 1; j < s.size() && int64_t(s[j].x) - s[i].x <= r; ++j) {
            int64_t dx = int64_t(s[j].x) - s[i].x, dy = int64_t(s[j].y) - s[i].y;
            count += dx * dx + dy * dy <= r2;
        }
    }
    return count;
}
