#pragma once
#include <algorithm>
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
// Counting sort by row (stable, so input order survives), then a stable sort of each short row
// by column and a merge of equal columns: no tree, no per-node allocation.
Csr coo_to_csr(int rows, const std::vector<int>& row, const std::vector<int>& col,
               const std::vector<double>& value) {
    const std::size_t nnz = row.size();
    std::vector<int> start(rows + 1, 0);
    for (int r : row) ++start[r + 1];
    for (int r = 0; r < rows; ++r) start[r + 1] += start[r];
    std::vector<std::pair<int, double>> cells(nnz);
    std::vector<int> fill(start.begin(), start.end() - 1);
    for (std::size_t k = 0; k < nnz; ++k) cells[fill[row[k]]++] = {col[k], value[k]};
    Csr out;
    out.row_start.assign(rows + 1, 0);
    out.col.reserve(nnz);
    out.value.reserve(nnz);
    auto by_col = [](const std::pair<int, double>& a, const std::pair<int, double>& b) {
        return a.first < b.first;
    };
    for (int r = 0; r < rows; ++r) {
        auto first = cells.begin() + start[r], last = cells.begin() + start[r + 1];
        std::stable_sort(first, last, by_col);
        for (auto it = first; it != last; ++it) {
            if (it != first && it->first == out.col.back()) {
                out.value.back() += it->second;
            } else {
                out.col.push_back(it->first);
                out.value.push_back(it->second);
            }
        }
        out.row_start[r + 1] = static_cast<int>(out.col.size());
    }
    return out;
}
