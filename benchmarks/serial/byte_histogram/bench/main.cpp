// Check and bench for byte_histogram (exact counts).
#include "../src/byte_histogram.hpp"
#include "lessonl_bench.hpp"

static std::string random_bytes(lb::Rng& rng, std::size_t n, int lo, int hi) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(static_cast<unsigned char>(rng.uniform(lo, hi)));
    return s;
}

static void check_case(const std::string& s, const char* what) {
    std::array<int64_t, 256> want{};
    for (std::size_t i = 0; i < s.size(); ++i) want[static_cast<unsigned char>(s[i])] += 1;
    auto got = byte_histogram(s);
    for (int b = 0; b < 256; ++b) {
        if (got[b] != want[b]) {
            lb::fail(lb::str(what, " length=", s.size(), ": byte ", b, " counted ", got[b],
                             ", expected ", want[b]));
        }
    }
}

static void check(lb::Rng& rng) {
    check_case("", "empty");
    check_case(std::string(1, '\0'), "one NUL byte");
    check_case(std::string(1, '\xff'), "one 0xff byte");
    check_case(std::string(1000, 'a'), "one repeated byte");
    for (std::size_t n : {3u, 5u, 7u, 100u, 4096u, 100003u}) {
        check_case(random_bytes(rng, n, 0, 255), "random bytes");
        check_case(random_bytes(rng, n, 'a', 'z'), "lowercase text");
        check_case(random_bytes(rng, n, 128, 255), "high bytes");
    }
}

static void bench(lb::Rng& rng) {
    const std::size_t n = 2000000;
    lb::time_reps(
        5, [&] {
            // Text-like: mostly letters and spaces, some UTF-8 continuation bytes.
            std::string s(n, ' ');
            uint64_t x = rng.g();
            for (char& c : s) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                unsigned r = static_cast<unsigned>(x >> 59);  // 0..31
                c = r < 26 ? static_cast<char>('a' + r) : r < 29 ? ' ' : static_cast<char>(0xC3 + (r & 1) * 0x7C);
            }
            return s;
        },
        [&](std::string& s) {
            auto c = byte_histogram(s);
            return static_cast<double>(c[' '] + 3 * c['e'] + 5 * c[0xC3]);
        });
}

int main(int argc, char** argv) { return lb::main_dispatch(argc, argv, check, bench); }
