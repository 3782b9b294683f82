"""Nearest-value lookup."""

from bisect import bisect_left


def nearest_values(values: list[int], queries: list[int]) -> list[int]:
    """For each query q, the element v of `values` minimising |v - q|, the smaller v on ties.
    `values` is non-empty and unsorted. Sort once, then a binary search per query compares
    only the two neighbours of the insertion point."""
    s = sorted(set(values))
    last = len(s) - 1
    result = []
    append = result.append
    for q in queries:
        i = bisect_left(s, q)
        if i == 0:
            append(s[0])
        elif i > last:
            append(s[last])
        else:
            lo, hi = s[i - 1], s[i]
            append(lo if q - lo <= hi - q else hi)
    return result
