"""Medians of sliding windows."""


def running_median(values: list[float], w: int) -> list[float]:
    """Median of values[i : i + w] for every full window (none when w > len(values)); for even
    w, the mean of the two middle values. w >= 1."""
    result = []
    for i in range(len(values) - w + 1):
        window = sorted(values[i : i + w])
        mid = w // 2
        if w % 2:
            result.append(window[mid])
        else:
            result.append((window[mid - 1] + window[mid]) / 2)
    return result
