// Check and bench for histogram (exact counts, no tolerance: bin membership is decided by
// comparisons only).
#include <algorithm>

#include "../src/histogram_bins.hpp"
#include "lessonl_bench.hpp"

static std::vector<double> random_edges(lb::Rng& rng, int count) {
    std::vector<double> e;
    double x = rng.real(-100.0, 0.0);
    for (int i = 0; i < count; ++i) {
        e.push_back(x);
        x += rng.real(0.01, 3.0);
    }
    return e;
}

// Values mostly inside the range, some outside, some exactly on edges.
static std::vector<double> random_values(lb::Rng& rng, int n, const std::vector<double>& e) {
    std::vector<double> v(n);
    double lo = e.empty() ? -1 : e.front(), hi = e.empty() ? 1 : e.back();
    for (double& x : v) {
        int kind = static_cast<int>(rng.uniform(0, 9));
        if (kind == 0 && !e.empty()) x = e[rng.uniform(0, e.size() - 1)];
        else if (kind == 1) x = rng.real(lo - 10, lo);
        else if (kind == 2) x = rng.real(hi, hi + 10);
        else x = rng.real(lo, hi);
    }
    return v;
}

static void check_case(const std::vector<double>& v, const std::vector<double>& e, const char* what) {
    std::size_t bins = e.size() < 2 ? 0 : e.size() - 1;
    std::vector<int64_t> want(bins, 0);
    for (double x : v) {
        for (std::size_t b = bins; b-- > 0;) {  // highest bin whose left edge is <= x
            if (x >= e[b] && (x < e[b + 1] || (b + 1 == bins && x == e[b + 1]))) {
                ++want[b];
                break;
            }
        }
    }
    auto got = histogram(v, e);
    if (got.size() != bins) {
        lb::fail(lb::str(what, " n=", v.size(), " edges=", e.size(), ": ", got.size(), " bins, expected ", bins));
    }
    for (std::size_t b = 0; b < bins; ++b) {
        if (got[b] != want[b]) {
            lb::fail(lb::str(what, " n=", v.size(), " edges=", e.size(), ": bin ", b, " [", e[b], ", ",
                             e[b + 1], ") counts ", got[b], ", expected ", want[b]));
        }
    }
}

static void check(lb::Rng& rng) {
    check_case({}, {}, "no edges");
    check_case({1.0}, {1.0}, "one edge");
    check_case({}, {0.0, 1.0}, "no values");
    check_case({0.0, 0.5, 1.0, 1.5, -0.5}, {0.0, 1.0}, "one bin, both edges");
    check_case({1.0, 1.0, 2.0, 3.0, 3.0}, {1.0, 2.0, 3.0}, "values on edges");
    for (int edges : {2, 3, 17, 200}) {
        auto e = random_edges(rng, edges);
        for (int n : {1, 10, 1000, 20000}) check_case(random_values(rng, n, e), e, "random");
    }
}

static void bench(lb::Rng& rng) {
    const int n = 200000;
    auto e = random_edges(rng, 257);
    lb::time_reps(
        5, [&] { return random_values(rng, n, e); },
        [&](std::vector<double>& v) {
            auto c = histogram(v, e);
            return static_cast<double>(c[0] + 3 * c[128] + 7 * c.back());
        });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
