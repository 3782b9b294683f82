// Check and bench for top_k_indices (exact: indices are compared, no tolerance).
#include <algorithm>

#include "../src/top_k.hpp"
#include "lessonl_bench.hpp"

static std::vector<double> random_values(lb::Rng& rng, int n, int distinct) {
    std::vector<double> v(n);
    for (double& x : v) x = distinct > 0 ? static_cast<double>(rng.uniform(-distinct, distinct)) : rng.real(-1e6, 1e6);
    return v;
}

static void check_case(const std::vector<double>& v, int k, const char* what) {
    // Oracle: stable sort of all indices by value descending, then the first k.
    std::vector<int> all(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) all[i] = static_cast<int>(i);
    std::stable_sort(all.begin(), all.end(), [&](int a, int b) { return v[a] > v[b]; });
    std::size_t take = k <= 0 ? 0 : std::min<std::size_t>(k, v.size());
    all.resize(take);
    auto got = top_k_indices(v, k);
    if (got.size() != all.size()) {
        lb::fail(lb::str(what, " n=", v.size(), " k=", k, ": ", got.size(), " indices, expected ", all.size()));
    }
    for (std::size_t r = 0; r < take; ++r) {
        if (got[r] != all[r]) {
            lb::fail(lb::str(what, " n=", v.size(), " k=", k, ": rank ", r, " is index ", got[r],
                             ", expected ", all[r], " (value ", v[all[r]], ")"));
        }
    }
}

static void check(lb::Rng& rng) {
    check_case({}, 3, "empty");
    check_case({1.5}, 1, "single");
    check_case({1.5}, 0, "k = 0");
    check_case({2.0, 2.0, 2.0}, 2, "all equal");
    check_case({-1.0, 3.0, -7.0}, 10, "k > n");
    for (int n : {5, 50, 1000, 5000}) {
        for (int k : {1, 3, 20, n}) {
            check_case(random_values(rng, n, 0), k, "random");
            check_case(random_values(rng, n, 4), k, "many ties");
        }
    }
}

static void bench(lb::Rng& rng) {
    const int n = 200000, k = 15;
    lb::time_reps(
        5, [&] { return random_values(rng, n, 50000); },
        [&](std::vector<double>& v) {
            auto r = top_k_indices(v, k);
            return static_cast<double>(r[0]) + 3.0 * r[k / 2] + 7.0 * r.back();
        });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
