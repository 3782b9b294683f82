#include <stdio.h>
#include "clamp.h"

int main(void) {
    int v[] = {1, 5, 9, -3, 5};
    int got = clamp_count(v, 5, 1, 5);
    if (got != 3) {
        printf("clamp_count: expected 3, got %d\n", got);
        return 1;
    }
    return 0;
}
