// Check and bench for escape_html (exact string comparison).
#include "../src/escape_html.hpp"
#include "lessonl_bench.hpp"

static std::string random_text(lb::Rng& rng, std::size_t n, double special) {
    static const char specials[] = "&<>\"'";
    std::string s(n, ' ');
    for (char& c : s) {
        c = rng.coin(special) ? specials[rng.uniform(0, 4)]
                              : static_cast<char>(static_cast<unsigned char>(rng.uniform(1, 255)));
    }
    return s;
}

static void check_case(const std::string& s, const char* what) {
    std::string want;
    for (char c : s) {
        if (c == '&') want.append("&amp;");
        else if (c == '<') want.append("&lt;");
        else if (c == '>') want.append("&gt;");
        else if (c == '"') want.append("&quot;");
        else if (c == '\'') want.append("&#39;");
        else want.push_back(c);
    }
    std::string got = escape_html(s);
    if (got != want) {
        std::size_t i = 0;
        while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
        lb::fail(lb::str(what, " length=", s.size(), ": output differs at byte ", i, " (got length ",
                         got.size(), ", expected ", want.size(), ")"));
    }
}

static void check(lb::Rng& rng) {
    check_case("", "empty");
    check_case("a", "one plain byte");
    check_case("'", "one quote");
    check_case(std::string("a\0b", 3), "embedded NUL");
    check_case("&amp;<>\"'", "already escaped text");
    for (std::size_t n : {2u, 10u, 100u, 5000u}) {
        check_case(random_text(rng, n, 0.3), "random, many specials");
        check_case(random_text(rng, n, 0.0), "random, no specials");
        check_case(random_text(rng, n, 1.0), "only specials");
    }
}

static void bench(lb::Rng& rng) {
    const std::size_t n = 2000000;
    lb::time_reps(
        5, [&] { return random_text(rng, n, 0.05); },
        [&](std::string& s) {
            std::string e = escape_html(s);
            return static_cast<double>(e.size()) + static_cast<unsigned char>(e[e.size() / 2]);
        });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
