#include "clamp.h"

/* How many values lie in [lo, hi]. */
int clamp_count(const int *v, int n, int lo, int hi) {
    int count = 0;
    for (int i = 0; i < n; ++i) {
        if (v[i] >= lo && v[i] <= hi) {
            count++;
        }
    }
    return count;
}
