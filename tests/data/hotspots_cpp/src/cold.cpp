// The cold function: one linear pass.
#include "shapes.hpp"

namespace stats {
long total(const std::vector<long>& xs) {
    long sum = 0;
    for (long x : xs) sum += x % 97;
    return sum;
}
}  // namespace stats
