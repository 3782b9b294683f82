// lessonl_bench.hpp: the small harness shared by the C++ problems of the serial suite.
//
// Every problem folder carries its own byte-identical copy in bench/ (the master is
// benchmarks/serial/_common/lessonl_bench.hpp; tests/test_bench_suite.py checks the copies),
// because `lessonl` copies only the problem folder into a variant's build directory.
//
// A problem's bench/main.cpp defines `check(lb::Rng&)` and `bench(lb::Rng&)` and calls
// `lb::main_dispatch`. `prog check` exits 0 when the function under test agrees with the
// check's own oracle on fresh random inputs; `prog bench` prints one
// `LESSONL_TIME_S=<wall> LESSONL_CPU_S=<cpu>` line per repetition (fresh inputs every
// repetition, only the call itself timed: its wall time and the process's CPU time over the
// same call, so a loaded machine's waiting can be told from the call's work) and a checksum so
// the optimizer cannot drop the work. The seed is random per run, printed on failure, and
// can be forced with LESSONL_SEED=<n> to reproduce a failure.
#pragma once

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace lb {

inline uint64_t g_seed = 0;
inline uint64_t g_checksum = 0;

inline uint64_t pick_seed() {
    if (const char* s = std::getenv("LESSONL_SEED")) return std::strtoull(s, nullptr, 10);
    std::random_device rd;
    uint64_t t = static_cast<uint64_t>(
        std::chrono::high_resolution_clock::now().time_since_epoch().count());
    return ((static_cast<uint64_t>(rd()) << 32) ^ rd() ^ t) % 1000000007ULL;
}

struct Rng {
    std::mt19937_64 g;
    explicit Rng(uint64_t seed) : g(seed) {}
    // Uniform integer in [lo, hi] (inclusive).
    int64_t uniform(int64_t lo, int64_t hi) {
        return std::uniform_int_distribution<int64_t>(lo, hi)(g);
    }
    // Uniform real in [lo, hi).
    double real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(g); }
    bool coin(double p = 0.5) { return real(0.0, 1.0) < p; }
};

// Print the failing case on one line (with the seed to reproduce it) and exit 1.
[[noreturn]] inline void fail(const std::string& what) {
    std::printf("FAIL (LESSONL_SEED=%" PRIu64 "): %s\n", g_seed, what.c_str());
    std::fflush(stdout);
    std::exit(1);
}

template <class... Args>
std::string str(const Args&... args) {
    std::ostringstream os;
    os.precision(17);
    (os << ... << args);
    return os.str();
}

inline double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// The process's CPU time (every thread), exact to the nanosecond on Linux.
inline double cpu_now() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline void report(double seconds, double cpu_seconds) {
    std::printf("LESSONL_TIME_S=%.9f LESSONL_CPU_S=%.9f\n", seconds, cpu_seconds);
}

// Fold a value into the checksum printed at the end of `bench`.
inline void sink_u64(uint64_t v) { g_checksum = g_checksum * 1099511628211ULL + v; }
inline void sink(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    sink_u64(bits);
}
inline void sink(int64_t v) { sink_u64(static_cast<uint64_t>(v)); }

// Run `reps` timed repetitions: `make()` builds a fresh input (untimed), `run(input)` is the
// timed call and returns something `digest` turns into a checksum contribution.
template <class Make, class Run>
void time_reps(int reps, Make make, Run run) {
    for (int r = 0; r < reps; ++r) {
        auto input = make();
        double c0 = cpu_now();
        double t0 = now();
        auto result = run(input);
        double t1 = now();
        double c1 = cpu_now();
        report(t1 - t0, c1 - c0);
        sink(static_cast<double>(result));
    }
}

inline int main_dispatch(int argc, char** argv, void (*check)(Rng&), void (*bench)(Rng&)) {
    std::string mode = argc > 1 ? argv[1] : "";
    g_seed = pick_seed();
    Rng rng(g_seed);
    if (mode == "check") {
        check(rng);
        std::printf("ok (LESSONL_SEED=%" PRIu64 ")\n", g_seed);
        return 0;
    }
    if (mode == "bench") {
        bench(rng);
        std::printf("checksum=%" PRIu64 "\n", g_checksum);
        return 0;
    }
    std::fprintf(stderr, "usage: %s check|bench\n", argv[0]);
    return 2;
}

}  // namespace lb
