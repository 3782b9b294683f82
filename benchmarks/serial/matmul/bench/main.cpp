// Check and bench for matmul. Tolerance: each C[i][j] may differ from the oracle by at most
// 8 * k * DBL_EPSILON * sum_p |A[i][p] * B[p][j]| (any summation order is allowed).
#include <cfloat>
#include <cmath>

#include "../src/matmul.hpp"
#include "lessonl_bench.hpp"

static std::vector<double> random_matrix(lb::Rng& rng, int rows, int cols) {
    std::vector<double> v(static_cast<std::size_t>(rows) * cols);
    for (double& x : v) x = rng.real(-2.0, 2.0);
    return v;
}

static void check_case(lb::Rng& rng, int m, int k, int n) {
    auto A = random_matrix(rng, m, k);
    auto B = random_matrix(rng, k, n);
    std::vector<double> C(static_cast<std::size_t>(m) * n, 12345.0);  // stale contents
    matmul(A, B, C, m, k, n);
    for (int i = 0; i < m; ++i) {
        for (int j = 0; j < n; ++j) {
            double want = 0.0, mag = 0.0;
            for (int p = 0; p < k; ++p) {
                want += A[i * k + p] * B[p * n + j];
                mag += std::fabs(A[i * k + p] * B[p * n + j]);
            }
            double got = C[i * n + j];
            double tol = 8.0 * k * DBL_EPSILON * mag;
            if (!(std::fabs(got - want) <= tol)) {
                lb::fail(lb::str("m=", m, " k=", k, " n=", n, ": C[", i, "][", j, "] = ", got,
                                 ", expected ", want));
            }
        }
    }
}

static void check(lb::Rng& rng) {
    const int shapes[][3] = {{0, 0, 0}, {1, 1, 1}, {0, 3, 2}, {2, 0, 3}, {3, 2, 0},
                             {1, 7, 1}, {5, 1, 4}, {7, 13, 3}, {16, 16, 16}, {33, 17, 65}};
    for (auto& s : shapes) check_case(rng, s[0], s[1], s[2]);
    for (int t = 0; t < 6; ++t) {
        check_case(rng, static_cast<int>(rng.uniform(1, 90)), static_cast<int>(rng.uniform(1, 90)),
                   static_cast<int>(rng.uniform(1, 90)));
    }
}

static void bench(lb::Rng& rng) {
    const int n = 256;
    struct Input {
        std::vector<double> A, B, C;
    };
    lb::time_reps(
        5,
        [&] {
            return Input{random_matrix(rng, n, n), random_matrix(rng, n, n),
                         std::vector<double>(static_cast<std::size_t>(n) * n)};
        },
        [&](Input& in) {
            matmul(in.A, in.B, in.C, n, n, n);
            return in.C[n * n / 2 + 7] + in.C[0];
        });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
