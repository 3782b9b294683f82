// Check and bench for parse_ints (exact values). The check builds the text from known values,
// so the oracle is the list it started from.
#include <climits>

#include "../src/parse_ints.hpp"
#include "lessonl_bench.hpp"

static int64_t random_value(lb::Rng& rng) {
    switch (rng.uniform(0, 5)) {
        case 0: return rng.uniform(-9, 9);
        case 1: return rng.uniform(0, 1000);
        case 2: return -rng.uniform(0, 1000);
        case 3: return rng.uniform(INT64_MIN, INT64_MAX);
        case 4: return rng.coin() ? INT64_MIN : INT64_MAX;
        default: return rng.uniform(-1000000000, 1000000000);
    }
}

static std::string join(const std::vector<int64_t>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) s += ',';
        s += std::to_string(v[i]);
    }
    return s;
}

static void check_case(const std::vector<int64_t>& want, const char* what) {
    std::string text = join(want);
    auto got = parse_ints(text);
    if (got.size() != want.size()) {
        lb::fail(lb::str(what, " \"", text.substr(0, 60), "\": ", got.size(), " values, expected ", want.size()));
    }
    for (std::size_t i = 0; i < want.size(); ++i) {
        if (got[i] != want[i]) {
            lb::fail(lb::str(what, " (", want.size(), " fields): field ", i, " parsed as ", got[i],
                             ", expected ", want[i]));
        }
    }
}

static void check(lb::Rng& rng) {
    check_case({}, "empty string");
    check_case({0}, "single zero");
    check_case({-5}, "single negative");
    check_case({INT64_MIN, INT64_MAX, 0}, "extremes");
    check_case({-1, 2, -3, 4}, "alternating signs");
    for (int n : {2, 10, 1000, 20000}) {
        std::vector<int64_t> v(n);
        for (auto& x : v) x = random_value(rng);
        check_case(v, "random");
    }
}

static void bench(lb::Rng& rng) {
    const int n = 250000;
    lb::time_reps(
        5, [&] {
            std::vector<int64_t> v(n);
            for (auto& x : v) x = rng.uniform(-100000000, 100000000);
            return join(v);
        },
        [&](std::string& s) {
            auto v = parse_ints(s);
            return static_cast<double>(v[0] + v[n / 2] + v.back()) + v.size();
        });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
