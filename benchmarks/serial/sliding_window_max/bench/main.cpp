// Check and bench for sliding_window_max (exact integer results, no tolerance).
#include "../src/sliding_window_max.hpp"
#include "lessonl_bench.hpp"

static std::vector<int> random_ints(lb::Rng& rng, int n, int lo, int hi) {
    std::vector<int> v(n);
    for (int& x : v) x = static_cast<int>(rng.uniform(lo, hi));
    return v;
}

static void check_case(const std::vector<int>& a, int w, const char* what) {
    std::vector<int> want;
    for (int i = 0; i + w <= static_cast<int>(a.size()); ++i) {
        int m = a[i];
        for (int k = 1; k < w; ++k) m = a[i + k] > m ? a[i + k] : m;
        want.push_back(m);
    }
    auto got = sliding_window_max(a, w);
    if (got.size() != want.size()) {
        lb::fail(lb::str(what, " n=", a.size(), " w=", w, ": ", got.size(), " results, expected ",
                         want.size()));
    }
    for (std::size_t i = 0; i < want.size(); ++i) {
        if (got[i] != want[i]) {
            lb::fail(lb::str(what, " n=", a.size(), " w=", w, ": out[", i, "] = ", got[i],
                             ", expected ", want[i]));
        }
    }
}

static void check(lb::Rng& rng) {
    check_case({}, 1, "empty");
    check_case({4}, 1, "single");
    check_case({4}, 2, "window longer than input");
    check_case({1, 2, 3, 4, 5}, 5, "whole input");
    check_case({5, 4, 3, 2, 1}, 2, "decreasing");
    for (int n : {2, 7, 64, 1000}) {
        for (int w : {1, 2, 3, 8, 33}) {
            check_case(random_ints(rng, n, -1000000, 1000000), w, "random");
            check_case(random_ints(rng, n, -2, 2), w, "many duplicates");
        }
    }
    std::vector<int> dec(500);
    for (int i = 0; i < 500; ++i) dec[i] = 1000 - i * 3;
    check_case(dec, 17, "strictly decreasing");
}

static void bench(lb::Rng& rng) {
    const int n = 200000, w = 128;
    lb::time_reps(
        5, [&] { return random_ints(rng, n, -1000000000, 1000000000); },
        [&](std::vector<int>& a) {
            auto out = sliding_window_max(a, w);
            return static_cast<double>(out[0]) + out[out.size() / 2] + out.back();
        });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
