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
 *   lessonl_u64                 a 64-bit unsigned integer, also under -std=c89 -pedantic
 */
#ifndef LESSONL_DRIVER_H
#define LESSONL_DRIVER_H

#include <stdio.h>
#include <string.h>
#include <time.h>
#ifdef __cplusplus
#include <cstdio> /* std::printf, which drivers tend to use */
#endif

/* A 64-bit integer even under -std=c89 -pedantic (cJSON builds so): `__extension__` keeps
 * GCC and Clang from warning that C90 has no `long long`. */
__extension__ typedef unsigned long long lessonl_u64;

#if defined(CLOCK_MONOTONIC)
#define LESSONL_WALL CLOCK_MONOTONIC
#define LESSONL_CPU CLOCK_PROCESS_CPUTIME_ID
#else
#define LESSONL_WALL 1 /* Linux's CLOCK_MONOTONIC */
#define LESSONL_CPU 2  /* and CLOCK_PROCESS_CPUTIME_ID */
#endif

#if defined(CLOCK_MONOTONIC) || !defined(__linux__)
static double lessonl_clock(int which) {
#if defined(CLOCK_MONOTONIC)
    struct timespec t;
    clock_gettime((clockid_t)which, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
#else
    (void)which;
    return (double)clock() / CLOCKS_PER_SEC;
#endif
}
#else
/* A strict ISO mode (-std=c89, -std=c99, ...) hides POSIX's clock_gettime and its clock ids
 * from <time.h>; defining _POSIX_C_SOURCE here would change how the project's own code
 * compiles, so the call is bound by its symbol name instead (Linux's layout and ids). */
struct lessonl_timespec {
    long tv_sec;
    long tv_nsec;
};
extern int lessonl_clock_gettime(int which, struct lessonl_timespec *t) __asm__("clock_gettime");
static double lessonl_clock(int which) {
    struct lessonl_timespec t;
    lessonl_clock_gettime(which, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}
#endif

static int lessonl_timing(int argc, char **argv) {
    return argc > 1 && strcmp(argv[1], "--time") == 0;
}

static volatile lessonl_u64 lessonl_sink_value;
static void lessonl_sink_u64(lessonl_u64 x) { lessonl_sink_value ^= x; }
static void lessonl_sink_double(double x) {
    lessonl_u64 bits;
    memcpy(&bits, &x, sizeof bits);
    lessonl_sink_value ^= bits;
}
static void lessonl_sink_ptr(const void *p) { lessonl_sink_value ^= (lessonl_u64)(size_t)p; }

static void lessonl_print_double(double x) { printf("%.17g", x); }

#define LESSONL_TIMED(stmt)                                                                   \
    do {                                                                                      \
        double lessonl_w0, lessonl_c0, lessonl_c1, lessonl_w1;                                \
        lessonl_w0 = lessonl_clock(LESSONL_WALL);                                             \
        lessonl_c0 = lessonl_clock(LESSONL_CPU);                                              \
        stmt;                                                                                 \
        lessonl_c1 = lessonl_clock(LESSONL_CPU);                                              \
        lessonl_w1 = lessonl_clock(LESSONL_WALL);                                             \
        printf("LESSONL_TIME_S=%.9f LESSONL_CPU_S=%.9f\n", lessonl_w1 - lessonl_w0,           \
               lessonl_c1 - lessonl_c0);                                                      \
        fflush(stdout);                                                                       \
    } while (0)

#endif
