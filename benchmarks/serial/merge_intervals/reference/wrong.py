"""Union of closed intervals (wrong on purpose: touching intervals such as [1, 2] and [2, 5]
stay separate)."""


def merge_intervals(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    result: list[tuple[int, int]] = []
    for a, b in sorted(intervals):
        if result and a < result[-1][1]:
            if b > result[-1][1]:
                result[-1] = (result[-1][0], b)
        else:
            result.append((a, b))
    return result
