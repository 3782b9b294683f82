// Check and bench for count_occurrences (exact counts).
#include "../src/count_occurrences.hpp"
#include "lessonl_bench.hpp"

static std::string random_text(lb::Rng& rng, std::size_t n, const char* alphabet, int k) {
    std::string s(n, ' ');
    for (char& c : s) c = alphabet[rng.uniform(0, k - 1)];
    return s;
}

static void check_case(const std::string& text, const std::string& pat, const char* what) {
    int64_t want = 0;
    if (!pat.empty()) {
        for (std::size_t i = 0; i + pat.size() <= text.size(); ++i) {
            std::size_t k = 0;
            while (k < pat.size() && text[i + k] == pat[k]) ++k;
            want += k == pat.size();
        }
    }
    int64_t got = count_occurrences(text, pat);
    if (got != want) {
        lb::fail(lb::str(what, " text length=", text.size(), " pattern=\"", pat.substr(0, 40), "\": got ",
                         got, ", expected ", want));
    }
}

static void check(lb::Rng& rng) {
    check_case("", "", "both empty");
    check_case("abc", "", "empty pattern");
    check_case("", "a", "empty text");
    check_case("ab", "abc", "pattern longer than text");
    check_case("a", "a", "one byte");
    check_case("aaaaa", "aa", "overlapping");
    check_case("abababa", "aba", "overlapping, period 2");
    check_case(std::string("x\0y\0y", 5), std::string("\0y", 2), "embedded NUL");
    for (std::size_t n : {10u, 100u, 5000u}) {
        std::string t = random_text(rng, n, "ab", 2);
        for (std::size_t m : {1u, 2u, 3u, 7u}) {
            std::size_t at = rng.uniform(0, n - m);
            check_case(t, t.substr(at, m), "binary alphabet");
            check_case(t, random_text(rng, m, "ab", 2), "binary alphabet, random pattern");
        }
        std::string u = random_text(rng, n, "acgt", 4);
        check_case(u, u.substr(n / 3, 5), "dna");
    }
}

static void bench(lb::Rng& rng) {
    const std::size_t n = 1500000, m = 24;  // longer than the small-string buffer
    struct Input {
        std::string text, pattern;
    };
    lb::time_reps(
        5, [&] {
            std::string t = random_text(rng, n, "acgtACGT", 8);
            std::string p = t.substr(n / 2, m);
            for (int k = 0; k < 20; ++k) t.replace(rng.uniform(0, n - m), m, p);  // a few hits
            return Input{std::move(t), std::move(p)};
        },
        [&](Input& in) { return count_occurrences(in.text, in.pattern); });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
