// Check and bench for sparse_dot. Tolerance: |got - want| <= 4 * k * DBL_EPSILON * sum |a_i b_i|
// over the k common indices (any summation order is allowed).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <map>

#include "../src/sparse_dot.hpp"
#include "lessonl_bench.hpp"

// A sparse vector with about `count` entries drawn from indices [0, span).
static std::vector<Entry> random_sparse(lb::Rng& rng, int count, int span) {
    std::vector<int> idx(count);
    for (int& i : idx) i = static_cast<int>(rng.uniform(0, span - 1));
    std::sort(idx.begin(), idx.end());
    idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
    std::vector<Entry> v;
    for (int i : idx) v.push_back({i, rng.real(-10.0, 10.0)});
    return v;
}

static void check_case(const std::vector<Entry>& a, const std::vector<Entry>& b, const char* what) {
    std::map<int, double> bm;
    for (const Entry& e : b) bm[e.index] = e.value;
    double want = 0.0, mag = 0.0;
    int common = 0;
    for (const Entry& e : a) {
        auto it = bm.find(e.index);
        if (it != bm.end()) {
            want += e.value * it->second;
            mag += std::fabs(e.value * it->second);
            ++common;
        }
    }
    double got = sparse_dot(a, b);
    if (!(std::fabs(got - want) <= 4.0 * common * DBL_EPSILON * mag)) {
        lb::fail(lb::str(what, " |a|=", a.size(), " |b|=", b.size(), " common=", common, ": got ", got,
                         ", expected ", want));
    }
}

static void check(lb::Rng& rng) {
    check_case({}, {}, "both empty");
    check_case({{3, 2.0}}, {}, "b empty");
    check_case({{3, 2.0}}, {{3, -4.0}}, "single common entry");
    check_case({{1, 1.0}, {9, 2.0}}, {{0, 5.0}, {9, 3.0}}, "match on the last entries");
    check_case({{0, 1.0}}, {{1, 1.0}}, "disjoint");
    for (int count : {3, 50, 2000}) {
        for (int span : {count, 4 * count, 100 * count}) {
            check_case(random_sparse(rng, count, span), random_sparse(rng, count, span), "random");
        }
        // Last entries forced to match.
        auto a = random_sparse(rng, count, 10 * count), b = random_sparse(rng, count, 10 * count);
        a.push_back({20 * count, 1.5});
        b.push_back({20 * count, 2.5});
        check_case(a, b, "common last index");
    }
}

// About n entries with random gaps of 1..2*gap-1 (sorted by construction, O(n)).
static std::vector<Entry> random_sparse_fast(lb::Rng& rng, int n, int gap) {
    std::vector<Entry> v(n);
    int index = 0;
    for (Entry& e : v) {
        index += static_cast<int>(rng.uniform(1, 2 * gap - 1));
        e = {index, rng.real(-10.0, 10.0)};
    }
    return v;
}

static void bench(lb::Rng& rng) {
    const int count = 400000, gap = 3;
    struct Input {
        std::vector<Entry> a, b;
    };
    lb::time_reps(
        5, [&] { return Input{random_sparse_fast(rng, count, gap), random_sparse_fast(rng, count, gap)}; },
        [&](Input& in) { return sparse_dot(in.a, in.b); });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
