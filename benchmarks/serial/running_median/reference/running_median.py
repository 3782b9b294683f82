"""Medians of sliding windows."""

from bisect import bisect_left, insort


def running_median(values: list[float], w: int) -> list[float]:
    """Median of values[i : i + w] for every full window (none when w > len(values)); for even
    w, the mean of the two middle values. w >= 1. Keeps the window sorted incrementally: one
    bisect insertion and one deletion per step instead of a full sort."""
    n = len(values)
    if w > n:
        return []
    window = sorted(values[:w])
    mid = w // 2
    odd = w % 2 == 1
    result = [window[mid] if odd else (window[mid - 1] + window[mid]) / 2]
    for i in range(w, n):
        del window[bisect_left(window, values[i - w])]
        insort(window, values[i])
        result.append(window[mid] if odd else (window[mid - 1] + window[mid]) / 2)
    return result
