#pragma once
#include <vector>

long count_close_pairs(const std::vector<long>& xs, long within);
