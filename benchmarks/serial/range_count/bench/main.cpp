// Check and bench for count_in_ranges (exact counts).
#include "../src/range_count.hpp"
#include "lessonl_bench.hpp"

using Queries = std::vector<std::pair<int, int>>;

static std::vector<int> random_ints(lb::Rng& rng, int n, int lo, int hi) {
    std::vector<int> v(n);
    for (int& x : v) x = static_cast<int>(rng.uniform(lo, hi));
    return v;
}

// Queries with endpoints often equal to data values (ties), some empty (lo > hi), some lo == hi.
static Queries random_queries(lb::Rng& rng, int q, const std::vector<int>& data, int lo, int hi) {
    Queries out(q);
    for (auto& [a, b] : out) {
        a = !data.empty() && rng.coin() ? data[rng.uniform(0, data.size() - 1)] : static_cast<int>(rng.uniform(lo, hi));
        b = !data.empty() && rng.coin() ? data[rng.uniform(0, data.size() - 1)] : static_cast<int>(rng.uniform(lo, hi));
        if (rng.coin(0.8) && a > b) std::swap(a, b);
        if (rng.coin(0.1)) b = a;
    }
    return out;
}

static void check_case(const std::vector<int>& data, const Queries& qs, const char* what) {
    auto got = count_in_ranges(data, qs);
    if (got.size() != qs.size()) {
        lb::fail(lb::str(what, " n=", data.size(), ": ", got.size(), " results for ", qs.size(), " queries"));
    }
    for (std::size_t i = 0; i < qs.size(); ++i) {
        int want = 0;
        for (int x : data) want += (qs[i].first <= x && x <= qs[i].second);
        if (got[i] != want) {
            lb::fail(lb::str(what, " n=", data.size(), ": query [", qs[i].first, ", ", qs[i].second,
                             "] counted ", got[i], ", expected ", want));
        }
    }
}

static void check(lb::Rng& rng) {
    check_case({}, {{0, 0}, {-5, 5}}, "empty data");
    check_case({1, 2, 3}, {}, "no queries");
    check_case({5}, {{5, 5}, {4, 4}, {6, 5}}, "single element");
    check_case({2, 2, 2, -1}, {{2, 2}, {-1, 2}, {-2, 1}}, "duplicates");
    for (int n : {10, 100, 3000}) {
        auto d = random_ints(rng, n, -50, 50);
        check_case(d, random_queries(rng, 200, d, -60, 60), "many duplicates");
        auto e = random_ints(rng, n, -2000000000, 2000000000);
        check_case(e, random_queries(rng, 200, e, -2000000000, 2000000000), "wide values");
    }
}

static void bench(lb::Rng& rng) {
    const int n = 20000, q = 500;
    struct Input {
        std::vector<int> data;
        Queries qs;
    };
    lb::time_reps(
        5, [&] {
            auto d = random_ints(rng, n, 0, 1000000);
            auto qs = random_queries(rng, q, d, 0, 1000000);
            return Input{std::move(d), std::move(qs)};
        },
        [&](Input& in) {
            auto r = count_in_ranges(in.data, in.qs);
            return static_cast<double>(r[0] + 3 * r[q / 2] + 7 * r.back());
        });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
