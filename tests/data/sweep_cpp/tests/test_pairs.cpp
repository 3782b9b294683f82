// The project's own tests (two ctest entries): `test_pairs small` and `test_pairs repeats`.
#include <cstdio>
#include <cstring>
#include "pairs.hpp"

static int check(const std::vector<long>& xs, long within, long want) {
    long got = count_close_pairs(xs, within);
    if (got != want) {
        std::printf("count_close_pairs(within=%ld): expected %ld, got %ld\n", within, want, got);
        return 1;
    }
    return 0;
}

int main(int argc, char** argv) {
    int failed = 0;
    if (argc > 1 && std::strcmp(argv[1], "small") == 0) {
        failed += check({}, 5, 0);
        failed += check({1, 10, 4}, 3, 1);
        failed += check({-5, 3, 2, -1}, 4, 4);
    } else {
        failed += check({7, 7, 7}, 0, 3);
        failed += check({1, 2, 2, 9}, 1, 3);
    }
    return failed ? 1 : 0;
}
