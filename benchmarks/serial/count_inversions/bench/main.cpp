// Check and bench for count_inversions (exact integer results).
#include "../src/count_inversions.hpp"
#include "lessonl_bench.hpp"

static std::vector<int> random_ints(lb::Rng& rng, int n, int lo, int hi) {
    std::vector<int> v(n);
    for (int& x : v) x = static_cast<int>(rng.uniform(lo, hi));
    return v;
}

static void check_case(const std::vector<int>& a, const char* what) {
    int64_t want = 0;
    for (std::size_t j = 0; j < a.size(); ++j)
        for (std::size_t i = 0; i < j; ++i) want += a[j] < a[i] ? 1 : 0;
    int64_t got = count_inversions(a);
    if (got != want) lb::fail(lb::str(what, " n=", a.size(), ": got ", got, ", expected ", want));
}

static void check(lb::Rng& rng) {
    check_case({}, "empty");
    check_case({1}, "single");
    check_case({2, 2}, "two equal");
    check_case({3, 1}, "two swapped");
    check_case({5, 4, 3, 2, 1}, "reversed");
    for (int n : {3, 17, 128, 1000, 2500}) {
        check_case(random_ints(rng, n, -1000000000, 1000000000), "random");
        check_case(random_ints(rng, n, 0, 3), "many duplicates");
    }
}

static void bench(lb::Rng& rng) {
    const int n = 12000;
    lb::time_reps(
        5, [&] { return random_ints(rng, n, -1000000, 1000000); },
        [&](std::vector<int>& a) { return count_inversions(a); });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
