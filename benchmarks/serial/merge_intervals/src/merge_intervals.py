"""Union of closed intervals."""


def merge_intervals(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of closed intervals [a, b] (a <= b) as sorted, disjoint intervals; intervals
    that overlap or touch ([1, 2] and [2, 5]) are merged."""
    merged: list[tuple[int, int]] = []
    for a, b in intervals:
        keep = []
        for c, d in merged:
            if c <= b and a <= d:
                a, b = min(a, c), max(b, d)
            else:
                keep.append((c, d))
        keep.append((a, b))
        merged = keep
    return sorted(merged)
