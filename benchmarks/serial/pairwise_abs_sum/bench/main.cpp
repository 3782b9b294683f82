// Check and bench for pairwise_abs_sum (exact integer results, no tolerance).
#include "../src/pairwise_abs_sum.hpp"
#include "lessonl_bench.hpp"

static std::vector<int> random_ints(lb::Rng& rng, int n, int lo, int hi) {
    std::vector<int> v(n);
    for (int& x : v) x = static_cast<int>(rng.uniform(lo, hi));
    return v;
}

static void check_case(const std::vector<int>& a, const char* what) {
    int64_t want = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = 0; j < i; ++j) want += a[i] > a[j] ? int64_t(a[i]) - a[j] : int64_t(a[j]) - a[i];
    int64_t got = pairwise_abs_sum(a);
    if (got != want) {
        lb::fail(lb::str(what, " n=", a.size(), (a.empty() ? "" : lb::str(" a[0]=", a[0])),
                         ": got ", got, ", expected ", want));
    }
}

static void check(lb::Rng& rng) {
    check_case({}, "empty");
    check_case({7}, "single");
    check_case({-5, -5}, "two equal");
    check_case({3, -4}, "two");
    for (int n : {3, 10, 100, 1000, 3000}) {
        check_case(random_ints(rng, n, -1000000, 1000000), "random");
        check_case(random_ints(rng, n, -3, 3), "many duplicates");
        check_case(random_ints(rng, n, -1000000, -1), "all negative");
    }
}

static void bench(lb::Rng& rng) {
    const int n = 9000;
    lb::time_reps(
        5, [&] { return random_ints(rng, n, -1000000, 1000000); },
        [&](std::vector<int>& a) { return pairwise_abs_sum(a); });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
