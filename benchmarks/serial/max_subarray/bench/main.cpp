// Check and bench for max_subarray_sum (exact integer results, no tolerance).
#include <algorithm>

#include "../src/max_subarray.hpp"
#include "lessonl_bench.hpp"

static std::vector<int> random_ints(lb::Rng& rng, int n, int lo, int hi) {
    std::vector<int> v(n);
    for (int& x : v) x = static_cast<int>(rng.uniform(lo, hi));
    return v;
}

// Oracle: maximum over i <= j of prefix[j+1] - prefix[i], by brute force.
static int64_t oracle(const std::vector<int>& a) {
    if (a.empty()) return 0;
    std::vector<int64_t> prefix(a.size() + 1, 0);
    for (std::size_t i = 0; i < a.size(); ++i) prefix[i + 1] = prefix[i] + a[i];
    int64_t best = a[0];
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = i + 1; j <= a.size(); ++j) best = std::max(best, prefix[j] - prefix[i]);
    return best;
}

static void check_case(const std::vector<int>& a, const char* what) {
    int64_t want = oracle(a), got = max_subarray_sum(a);
    if (got != want) {
        lb::fail(lb::str(what, " n=", a.size(), ": got ", got, ", expected ", want));
    }
}

static void check(lb::Rng& rng) {
    check_case({}, "empty");
    check_case({-7}, "single negative");
    check_case({5}, "single positive");
    check_case({-3, -1, -2}, "all negative");
    check_case({0, 0, 0}, "zeros");
    for (int n : {2, 5, 50, 500, 1500}) {
        check_case(random_ints(rng, n, -1000, 1000), "random");
        check_case(random_ints(rng, n, -1000000000, -1), "all negative");
        check_case(random_ints(rng, n, -1000000000, 1000000000), "large values");
    }
}

static void bench(lb::Rng& rng) {
    const int n = 1000000;
    lb::time_reps(
        5, [&] { return random_ints(rng, n, -1000, 1000); },
        [&](std::vector<int>& a) { return max_subarray_sum(a); });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
