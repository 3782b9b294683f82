// The workload: `bench [N]` counts close pairs among N pseudo-random values.
#include <cstdio>
#include <cstdlib>
#include "pairs.hpp"

int main(int argc, char** argv) {
    long n = argc > 1 ? std::atol(argv[1]) : 6000;
    std::vector<long> xs;
    unsigned long state = 12345;
    for (long i = 0; i < n; ++i) {
        state = state * 6364136223846793005UL + 1442695040888963407UL;
        xs.push_back(static_cast<long>(state >> 33) % 100000);
    }
    std::printf("%ld\n", count_close_pairs(xs, 50));
    return 0;
}
