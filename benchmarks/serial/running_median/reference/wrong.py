"""Medians of sliding windows (wrong on purpose: for even w it takes the upper middle value)."""

from bisect import bisect_left, insort


def running_median(values: list[float], w: int) -> list[float]:
    n = len(values)
    if w > n:
        return []
    window = sorted(values[:w])
    mid = w // 2
    result = [window[mid]]
    for i in range(w, n):
        del window[bisect_left(window, values[i - w])]
        insort(window, values[i])
        result.append(window[mid])
    return result
