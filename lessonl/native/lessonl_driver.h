/* lessonl_driver.h: helpers for a LessonL differential driver (C and C++).
 *
 * Shipped with LessonL and copied next to each driver under .lessonl/native/drivers/, so a
 * driver and this header can be committed together and still build without LessonL.
 *
 *   lessonl_timing(argc, argv)  true when the driver runs as the benchmark (`--time`)
 *   LESSONL_TIMED(stmt)         runs `stmt` once and prints one bench-protocol line:
 *                               LESSONL_TIME_S=<wall s> LESSONL_CPU_S=<process CPU s>
 *   lessonl_sink_*(x)           keeps a result alive so the compiler cannot drop the call
 *   lessonl_print_double(x)     a double in the canonical form LessonL compares (%.17g)
 */
#ifndef LESSONL_DRIVER_H
#define LESSONL_DRIVER_H

#include <stdio.h>
#include <string.h>
#include <time.h>
#ifdef __cplusplus
#include <cstdio> /* std::printf, which drivers tend to use */
#endif

static double lessonl_clock(clockid_t which) {
    struct timespec t;
    clock_gettime(which, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int lessonl_timing(int argc, char **argv) {
    return argc > 1 && strcmp(argv[1], "--time") == 0;
}

static volatile unsigned long long lessonl_sink_value;
static void lessonl_sink_u64(unsigned long long x) { lessonl_sink_value ^= x; }
static void lessonl_sink_double(double x) {
    unsigned long long bits;
    memcpy(&bits, &x, sizeof bits);
    lessonl_sink_value ^= bits;
}
static void lessonl_sink_ptr(const void *p) { lessonl_sink_value ^= (unsigned long long)(size_t)p; }

static void lessonl_print_double(double x) { printf("%.17g", x); }

#define LESSONL_TIMED(stmt)                                                                   \
    do {                                                                                      \
        double lessonl_w0 = lessonl_clock(CLOCK_MONOTONIC);                                   \
        double lessonl_c0 = lessonl_clock(CLOCK_PROCESS_CPUTIME_ID);                          \
        stmt;                                                                                 \
        double lessonl_c1 = lessonl_clock(CLOCK_PROCESS_CPUTIME_ID);                          \
        double lessonl_w1 = lessonl_clock(CLOCK_MONOTONIC);                                   \
        printf("LESSONL_TIME_S=%.9f LESSONL_CPU_S=%.9f\n", lessonl_w1 - lessonl_w0,           \
               lessonl_c1 - lessonl_c0);                                                      \
        fflush(stdout);                                                                       \
    } while (0)

#endif
