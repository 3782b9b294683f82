// Check and bench for count_close_pairs (exact counts; the oracle compares squared distances
// in int64, so ties at exactly r are decided exactly).
#include "../src/close_pairs.hpp"
#include "lessonl_bench.hpp"

static std::vector<Point> random_points(lb::Rng& rng, int n, int span) {
    std::vector<Point> p(n);
    for (Point& q : p) {
        q.x = static_cast<int>(rng.uniform(-span, span));
        q.y = static_cast<int>(rng.uniform(-span, span));
    }
    return p;
}

static void check_case(const std::vector<Point>& p, int r, const char* what) {
    int64_t want = 0, r2 = int64_t(r) * r;
    for (std::size_t i = 0; i < p.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            int64_t dx = int64_t(p[i].x) - p[j].x, dy = int64_t(p[i].y) - p[j].y;
            want += dx * dx + dy * dy <= r2;
        }
    }
    int64_t got = count_close_pairs(p, r);
    if (got != want) lb::fail(lb::str(what, " n=", p.size(), " r=", r, ": got ", got, ", expected ", want));
}

static void check(lb::Rng& rng) {
    check_case({}, 5, "empty");
    check_case({{1, 1}}, 5, "single point");
    check_case({{0, 0}, {3, 4}}, 5, "3-4-5 exactly r apart");
    check_case({{2, 2}, {2, 2}, {2, 2}}, 0, "duplicates with r = 0");
    check_case({{-100000000, 0}, {100000000, 0}}, 100000000, "far apart, large coordinates");
    for (int n : {3, 40, 400, 2000}) {
        // Small integer grid: many pairs at exactly r (e.g. 3-4-5 and 6-8-10 triangles).
        check_case(random_points(rng, n, 12), 5, "dense grid r=5");
        check_case(random_points(rng, n, 30), 10, "grid r=10");
        check_case(random_points(rng, n, 100000000), 20000000, "wide coordinates");
    }
}

static void bench(lb::Rng& rng) {
    const int n = 5000;
    lb::time_reps(
        5, [&] { return random_points(rng, n, 100000); },
        [&](std::vector<Point>& p) { return count_close_pairs(p, 1000); });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
