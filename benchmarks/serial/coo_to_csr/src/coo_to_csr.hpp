#pragma once
#include <map>
#include <utility>
#include <vector>

struct Csr {
    std::vector<int> row_start;  // rows + 1 entries
    std::vector<int> col;
    std::vector<double> value;
};

// Compressed sparse rows from coordinate triples (row[k], col[k], value[k]) in any order.
// Triples with the same (row, col) are summed in input order into one entry; within each row,
// entries are ordered by ascending column. Entries that sum to zero are kept.
Csr coo_to_csr(int rows, const std::vector<int>& row, const std::vector<int>& col,
               const std::vector<double>& value) {
    std::map<std::pair<int, int>, double> cells;
    for (std::size_t k = 0; k < row.size(); ++k) cells[{row[k], col[k]}] += value[k];
    Csr out;
    out.row_start.assign(rows + 1, 0);
    for (const auto& [rc, v] : cells) {
        out.row_start[rc.first + 1]++;
        out.col.push_back(rc.second);
        out.value.push_back(v);
    }
    for (int r = 0; r < rows; ++r) out.row_start[r + 1] += out.row_start[r];
    return out;
}
