// Check and bench for matvec_transpose. Tolerance: y[j] may differ from the oracle by at most
// 8 * m * DBL_EPSILON * sum_i |A[i][j] * x[i]| (any summation order is allowed).
#include <cfloat>
#include <cmath>

#include "../src/matvec_transpose.hpp"
#include "lessonl_bench.hpp"

static std::vector<double> random_vec(lb::Rng& rng, std::size_t len) {
    std::vector<double> v(len);
    for (double& x : v) x = rng.real(-3.0, 3.0);
    return v;
}

static void check_case(lb::Rng& rng, int m, int n) {
    auto A = random_vec(rng, static_cast<std::size_t>(m) * n);
    auto x = random_vec(rng, m);
    auto y = matvec_transpose(A, x, m, n);
    if (y.size() != static_cast<std::size_t>(n)) {
        lb::fail(lb::str("m=", m, " n=", n, ": result has ", y.size(), " entries, expected ", n));
    }
    for (int j = 0; j < n; ++j) {
        double want = 0.0, mag = 0.0;
        for (int i = 0; i < m; ++i) {
            want += A[static_cast<std::size_t>(i) * n + j] * x[i];
            mag += std::fabs(A[static_cast<std::size_t>(i) * n + j] * x[i]);
        }
        if (!(std::fabs(y[j] - want) <= 8.0 * m * DBL_EPSILON * mag)) {
            lb::fail(lb::str("m=", m, " n=", n, ": y[", j, "] = ", y[j], ", expected ", want));
        }
    }
}

static void check(lb::Rng& rng) {
    const int shapes[][2] = {{0, 0}, {0, 5}, {5, 0}, {1, 1}, {1, 9}, {9, 1}, {2, 3}, {3, 3}, {17, 31}};
    for (auto& s : shapes) check_case(rng, s[0], s[1]);
    for (int t = 0; t < 8; ++t) {
        check_case(rng, static_cast<int>(rng.uniform(1, 300)), static_cast<int>(rng.uniform(1, 300)));
    }
}

static void bench(lb::Rng& rng) {
    const int m = 1500, n = 1500;
    struct Input {
        std::vector<double> A, x;
    };
    lb::time_reps(
        5, [&] { return Input{random_vec(rng, static_cast<std::size_t>(m) * n), random_vec(rng, m)}; },
        [&](Input& in) {
            auto y = matvec_transpose(in.A, in.x, m, n);
            return y[0] + y[n / 2] + y[n - 1];
        });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
