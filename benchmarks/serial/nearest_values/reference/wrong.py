"""Nearest-value lookup (wrong on purpose: ties go to the larger value)."""

from bisect import bisect_left


def nearest_values(values: list[int], queries: list[int]) -> list[int]:
    s = sorted(set(values))
    last = len(s) - 1
    result = []
    for q in queries:
        i = bisect_left(s, q)
        if i == 0:
            result.append(s[0])
        elif i > last:
            result.append(s[last])
        else:
            lo, hi = s[i - 1], s[i]
            result.append(lo if q - lo < hi - q else hi)
    return result
