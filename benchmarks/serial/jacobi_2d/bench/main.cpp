// Check and bench for jacobi_step. Tolerance: interior cells may differ from the oracle by
// 8 * DBL_EPSILON * (sum of the five |terms|) (any addition order); boundary cells must be exact.
#include <cfloat>
#include <cmath>

#include "../src/jacobi_2d.hpp"
#include "lessonl_bench.hpp"

static std::vector<double> random_grid(lb::Rng& rng, int rows, int cols) {
    std::vector<double> g(static_cast<std::size_t>(rows) * cols);
    for (double& x : g) x = rng.real(-100.0, 100.0);
    return g;
}

static void check_case(lb::Rng& rng, int rows, int cols) {
    auto in = random_grid(rng, rows, cols);
    std::vector<double> out(in.size(), -777.0);  // stale contents must be overwritten
    jacobi_step(in, out, rows, cols);
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            std::size_t i = static_cast<std::size_t>(r) * cols + c;
            double want = in[i], tol = 0.0;
            if (r > 0 && c > 0 && r < rows - 1 && c < cols - 1) {
                double t[5] = {in[i], in[i - cols], in[i + cols], in[i - 1], in[i + 1]};
                want = 0.0;
                for (double x : t) {
                    want += x;
                    tol += std::fabs(x);
                }
                want *= 0.2;
                tol *= 8.0 * DBL_EPSILON;
            }
            if (!(std::fabs(out[i] - want) <= tol)) {
                lb::fail(lb::str("rows=", rows, " cols=", cols, ": out[", r, "][", c, "] = ", out[i],
                                 ", expected ", want));
            }
        }
    }
}

static void check(lb::Rng& rng) {
    const int shapes[][2] = {{0, 0}, {1, 1}, {1, 5}, {5, 1}, {2, 2}, {2, 7}, {3, 3}, {3, 4}, {17, 9}, {64, 65}};
    for (auto& s : shapes) check_case(rng, s[0], s[1]);
    for (int t = 0; t < 5; ++t) {
        check_case(rng, static_cast<int>(rng.uniform(1, 200)), static_cast<int>(rng.uniform(1, 200)));
    }
}

static void bench(lb::Rng& rng) {
    const int rows = 1024, cols = 1024;
    struct Input {
        std::vector<double> in, out;
    };
    lb::time_reps(
        5, [&] { return Input{random_grid(rng, rows, cols), std::vector<double>(std::size_t(rows) * cols, 0.0)}; },
        [&](Input& g) {
            jacobi_step(g.in, g.out, rows, cols);
            return g.out[cols + 1] + g.out[g.out.size() / 2] + g.out.back();
        });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
