// Check and bench for moving_average. Tolerance: |got - want| <= 1e-9 * max|x| per output; a
// running sum drifts by about sqrt(n) * DBL_EPSILON * max|x|, far below that, while a wrong
// window or divisor is off by a sizeable fraction of the values.
#include <algorithm>
#include <cmath>

#include "../src/moving_average.hpp"
#include "lessonl_bench.hpp"

static std::vector<double> random_series(lb::Rng& rng, int n, double scale) {
    std::vector<double> v(n);
    for (double& x : v) x = rng.real(-scale, scale);
    return v;
}

static void check_case(const std::vector<double>& x, int w, const char* what) {
    double biggest = 0.0;
    for (double v : x) biggest = std::max(biggest, std::fabs(v));
    auto got = moving_average(x, w);
    if (got.size() != x.size()) lb::fail(lb::str(what, " n=", x.size(), " w=", w, ": ", got.size(), " outputs"));
    for (std::size_t i = 0; i < x.size(); ++i) {
        std::size_t lo = static_cast<int>(i) - w + 1 > 0 ? i - w + 1 : 0;
        double sum = 0.0;
        for (std::size_t k = lo; k <= i; ++k) sum += x[k];
        double want = sum / static_cast<double>(i - lo + 1);
        if (!(std::fabs(got[i] - want) <= 1e-9 * biggest)) {
            lb::fail(lb::str(what, " n=", x.size(), " w=", w, ": out[", i, "] = ", got[i], ", expected ", want));
        }
    }
}

static void check(lb::Rng& rng) {
    check_case({}, 3, "empty");
    check_case({2.5}, 1, "single, w = 1");
    check_case({2.5}, 4, "single, w > n");
    check_case({1.0, 2.0, 3.0}, 3, "w = n");
    check_case({-1.0, -1.0, 5.0, 5.0}, 2, "negatives");
    for (int n : {2, 9, 100, 4000}) {
        for (int w : {1, 2, 7, 64, 5000}) {
            check_case(random_series(rng, n, 1000.0), w, "random");
            check_case(random_series(rng, n, 1e-3), w, "small values");
        }
    }
}

static void bench(lb::Rng& rng) {
    const int n = 300000, w = 100;
    lb::time_reps(
        5, [&] { return random_series(rng, n, 100.0); },
        [&](std::vector<double>& x) {
            auto out = moving_average(x, w);
            return out[0] + out[n / 2] + out.back();
        });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
