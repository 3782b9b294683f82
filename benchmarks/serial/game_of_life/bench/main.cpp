// Check and bench for life_step (exact 0/1 cells).
#include "../src/game_of_life.hpp"
#include "lessonl_bench.hpp"

static std::vector<uint8_t> random_grid(lb::Rng& rng, int rows, int cols, double density) {
    std::vector<uint8_t> g(static_cast<std::size_t>(rows) * cols);
    for (auto& x : g) x = rng.coin(density) ? 1 : 0;
    return g;
}

static void check_case(const std::vector<uint8_t>& g, int rows, int cols, const char* what) {
    auto got = life_step(g, rows, cols);
    if (got.size() != g.size()) lb::fail(lb::str(what, " rows=", rows, " cols=", cols, ": wrong output size"));
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            // Oracle: neighbours counted by walking the 3x3 block with explicit wrap-around
            // (on tiny grids a neighbour can be the same cell more than once).
            int live = 0;
            for (int k = 0; k < 9; ++k) {
                if (k == 4) continue;
                int rr = r + k / 3 - 1, cc = c + k % 3 - 1;
                if (rr < 0) rr += rows;
                if (rr >= rows) rr -= rows;
                if (cc < 0) cc += cols;
                if (cc >= cols) cc -= cols;
                live += g[rr * cols + cc];
            }
            int want = g[r * cols + c] ? (live == 2 || live == 3) : (live == 3);
            if (got[r * cols + c] != want) {
                lb::fail(lb::str(what, " rows=", rows, " cols=", cols, ": cell (", r, ", ", c, ") = ",
                                 int(got[r * cols + c]), ", expected ", want, " (", live, " live neighbours)"));
            }
        }
    }
}

static void check(lb::Rng& rng) {
    check_case({}, 0, 0, "empty");
    check_case({1}, 1, 1, "single cell");
    check_case({1, 1, 1}, 1, 3, "one row");
    check_case({1, 0, 1, 1}, 4, 1, "one column");
    // A blinker across the corner of a 5x5 torus.
    std::vector<uint8_t> corner(25, 0);
    corner[0] = corner[4] = corner[1] = 1;
    check_case(corner, 5, 5, "blinker across the edge");
    for (int t = 0; t < 12; ++t) {
        int rows = static_cast<int>(rng.uniform(2, 80)), cols = static_cast<int>(rng.uniform(2, 80));
        check_case(random_grid(rng, rows, cols, rng.real(0.1, 0.6)), rows, cols, "random");
    }
}

static void bench(lb::Rng& rng) {
    const int rows = 1000, cols = 1000;
    lb::time_reps(
        5, [&] { return random_grid(rng, rows, cols, 0.35); },
        [&](std::vector<uint8_t>& g) {
            auto n = life_step(g, rows, cols);
            double sum = 0;
            for (std::size_t i = 0; i < n.size(); i += 997) sum += n[i];
            return sum;
        });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
