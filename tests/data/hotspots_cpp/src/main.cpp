// The workload: `bench [N]` counts close pairs among N pseudo-random values, and totals them.
#include <cstdio>
#include <cstdlib>
#include "shapes.hpp"

int main(int argc, char** argv) {
    long n = argc > 1 ? std::atol(argv[1]) : 6000;
    std::vector<long> xs;
    unsigned long state = 12345;
    for (long i = 0; i < n; ++i) {
        state = state * 6364136223846793005UL + 1442695040888963407UL;
        xs.push_back(static_cast<long>(state >> 33) % 100000);
    }
    long total = 0;
    for (int r = 0; r < 600; ++r) total += stats::total(xs);
    std::printf("%ld %ld\n", count_close_pairs(xs, 50), total);
    return 0;
}
