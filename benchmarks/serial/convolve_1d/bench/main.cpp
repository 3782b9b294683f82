// Check and bench for convolve. Tolerance: y[i] may differ from the oracle by
// 4 * m * DBL_EPSILON * sum_k |h[k] * x[i - k]| (any summation order is allowed).
#include <cfloat>
#include <cmath>

#include "../src/convolve_1d.hpp"
#include "lessonl_bench.hpp"

static std::vector<double> random_vec(lb::Rng& rng, int n) {
    std::vector<double> v(n);
    for (double& x : v) x = rng.real(-1.0, 1.0);
    return v;
}

static void check_case(const std::vector<double>& x, const std::vector<double>& h, const char* what) {
    const long n = static_cast<long>(x.size()), m = static_cast<long>(h.size());
    const long len = n && m ? n + m - 1 : 0;
    auto y = convolve(x, h);
    if (static_cast<long>(y.size()) != len) {
        lb::fail(lb::str(what, " n=", n, " m=", m, ": ", y.size(), " outputs, expected ", len));
    }
    for (long i = 0; i < len; ++i) {
        double want = 0.0, mag = 0.0;
        for (long j = 0; j < n; ++j) {  // sum over the signal index instead of the kernel index
            long k = i - j;
            if (k >= 0 && k < m) {
                want += h[k] * x[j];
                mag += std::fabs(h[k] * x[j]);
            }
        }
        if (!(std::fabs(y[i] - want) <= 4.0 * m * DBL_EPSILON * mag)) {
            lb::fail(lb::str(what, " n=", n, " m=", m, ": y[", i, "] = ", y[i], ", expected ", want));
        }
    }
}

static void check(lb::Rng& rng) {
    check_case({}, {1.0}, "empty signal");
    check_case({1.0, 2.0}, {}, "empty kernel");
    check_case({3.0}, {2.0}, "single by single");
    check_case({1.0, 2.0, 3.0}, {0.0, 1.0}, "shift by one");
    check_case({1.0}, {1.0, 2.0, 3.0}, "kernel longer than signal");
    for (int n : {1, 2, 17, 300, 2000}) {
        for (int m : {1, 2, 5, 31, 400}) check_case(random_vec(rng, n), random_vec(rng, m), "random");
    }
}

static void bench(lb::Rng& rng) {
    const int n = 400000, m = 31;
    struct Input {
        std::vector<double> x, h;
    };
    lb::time_reps(
        5, [&] { return Input{random_vec(rng, n), random_vec(rng, m)}; },
        [&](Input& in) {
            auto y = convolve(in.x, in.h);
            return y[0] + y[y.size() / 2] + y.back();
        });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
