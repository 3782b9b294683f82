"""Union of closed intervals."""


def merge_intervals(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of closed intervals [a, b] (a <= b) as sorted, disjoint intervals; intervals
    that overlap or touch ([1, 2] and [2, 5]) are merged. Sort by start, then one sweep that
    extends the current interval while the next one starts inside it."""
    result: list[tuple[int, int]] = []
    for a, b in sorted(intervals):
        if result and a <= result[-1][1]:
            if b > result[-1][1]:
                result[-1] = (result[-1][0], b)
        else:
            result.append((a, b))
    return result
