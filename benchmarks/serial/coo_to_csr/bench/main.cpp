// Check and bench for coo_to_csr. Tolerance: a summed entry may differ from the oracle by
// 4 * d * DBL_EPSILON * sum |terms| for d duplicates (exact when there are none); structure
// (row_start, col) must match exactly.
#include <cfloat>
#include <cmath>
#include <map>

#include "../src/coo_to_csr.hpp"
#include "lessonl_bench.hpp"

struct Coo {
    int rows;
    std::vector<int> row, col;
    std::vector<double> value;
};

static Coo random_coo(lb::Rng& rng, int rows, int cols, int nnz) {
    Coo c{rows, std::vector<int>(nnz), std::vector<int>(nnz), std::vector<double>(nnz)};
    for (int k = 0; k < nnz; ++k) {
        c.row[k] = static_cast<int>(rng.uniform(0, rows - 1));
        c.col[k] = static_cast<int>(rng.uniform(0, cols - 1));
        c.value[k] = rng.coin(0.1) ? 0.0 : rng.real(-1.0, 1.0);
    }
    return c;
}

static void check_case(const Coo& c, const char* what) {
    struct Cell {
        double sum = 0.0, mag = 0.0;
        int count = 0;
    };
    std::map<std::pair<int, int>, Cell> cells;
    for (std::size_t k = 0; k < c.row.size(); ++k) {
        Cell& cell = cells[{c.row[k], c.col[k]}];
        cell.sum += c.value[k];
        cell.mag += std::fabs(c.value[k]);
        cell.count++;
    }
    Csr got = coo_to_csr(c.rows, c.row, c.col, c.value);
    auto where = lb::str(what, " rows=", c.rows, " nnz=", c.row.size());
    if (got.row_start.size() != static_cast<std::size_t>(c.rows) + 1 || got.row_start[0] != 0 ||
        got.col.size() != cells.size() || got.value.size() != cells.size() ||
        got.row_start.back() != static_cast<int>(cells.size())) {
        lb::fail(lb::str(where, ": wrong shape: ", got.col.size(), " entries, expected ", cells.size()));
    }
    auto it = cells.begin();
    for (int r = 0; r < c.rows; ++r) {
        for (int k = got.row_start[r]; k < got.row_start[r + 1]; ++k, ++it) {
            if (it == cells.end() || it->first.first != r || it->first.second != got.col[k]) {
                lb::fail(lb::str(where, ": entry ", k, " is (", r, ", ", got.col[k], "), expected (",
                                 it->first.first, ", ", it->first.second, ")"));
            }
            const Cell& cell = it->second;
            if (!(std::fabs(got.value[k] - cell.sum) <= 4.0 * cell.count * DBL_EPSILON * cell.mag)) {
                lb::fail(lb::str(where, ": value at (", r, ", ", got.col[k], ") = ", got.value[k],
                                 ", expected ", cell.sum, " (", cell.count, " duplicates)"));
            }
        }
    }
}

static void check(lb::Rng& rng) {
    check_case(Coo{0, {}, {}, {}}, "no rows");
    check_case(Coo{3, {}, {}, {}}, "no entries");
    check_case(Coo{2, {1}, {4}, {2.5}}, "single entry");
    check_case(Coo{2, {1, 1, 1}, {4, 4, 4}, {1.0, 2.0, -3.0}}, "duplicates summing to zero");
    check_case(Coo{3, {2, 0, 2, 0}, {5, 1, 0, 1}, {1.0, 2.0, 3.0, 4.0}}, "unsorted input");
    for (int rows : {1, 7, 100}) {
        for (int nnz : {1, 50, 3000}) {
            check_case(random_coo(rng, rows, 10, nnz), "random, many duplicates");
            check_case(random_coo(rng, rows, 100000, nnz), "random, few duplicates");
        }
    }
}

static void bench(lb::Rng& rng) {
    const int rows = 12000, cols = 12000, nnz = 60000;
    lb::time_reps(
        5, [&] { return random_coo(rng, rows, cols, nnz); },
        [&](Coo& c) {
            Csr m = coo_to_csr(c.rows, c.row, c.col, c.value);
            return m.value[0] + m.value[m.value.size() / 2] + m.col.back() + m.row_start[rows / 2];
        });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
