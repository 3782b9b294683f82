#pragma once
#include <cstddef>
#include <vector>

long count_close_pairs(const std::vector<long>& xs, long within);
namespace stats {
long total(const std::vector<long>& xs);
}
