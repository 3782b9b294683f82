// The project's own test: small cases, negative values included.
#include <cstdio>
#include <vector>

#include "pairs.hpp"

static int check(const std::vector<int>& v, int limit, long long want) {
    long long got = count_pairs_below(v.data(), v.size(), limit);
    if (got != want) {
        std::printf("count_pairs_below(limit=%d): expected %lld, got %lld\n", limit, want, got);
        return 1;
    }
    return 0;
}

int main() {
    int failed = 0;
    failed += check({}, 5, 0);
    failed += check({1, 2, 3}, 4, 1);
    failed += check({-5, 3, 2, -1}, 0, 3);
    failed += check({4, 4, 4}, 9, 3);
    return failed ? 1 : 0;
}
