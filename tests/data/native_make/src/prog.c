/* Sums the squares of its arguments. */
#include <stdio.h>
#include <stdlib.h>

static long sum_squares(const int *v, int n) {
    long total = 0;
    for (int i = 0; i < n; ++i) {
        total += (long)v[i] * v[i] * SCALE;
    }
    return total;
}

int main(int argc, char **argv) {
    int v[64];
    int n = 0;
    for (int i = 1; i < argc && n < 64; ++i) v[n++] = atoi(argv[i]);
    printf("%ld\n", sum_squares(v, n));
    return 0;
}
