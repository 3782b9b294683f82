#include "dot.hpp"

double dot(const double* a, const double* b, int n) {
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
        sum += a[i] * b[i] * DOT_SCALE;
    }
    return sum;
}
