"""Check and bench for merge_intervals (exact comparison of interval lists).

The oracle paints integer points on a number line: closed integer intervals overlap or touch
exactly when they share a point, so runs of painted points are the merged intervals.
"""

import random

import lessonl_bench as lb

lb.add_src_to_path()
from merge_intervals import merge_intervals  # noqa: E402


def oracle(intervals):
    if not intervals:
        return []
    lo = min(a for a, _ in intervals)
    hi = max(b for _, b in intervals)
    # Paint each interval on a doubled line so that [1, 2] and [3, 4] (which share no point)
    # stay apart while [1, 2] and [2, 5] join.
    painted = bytearray(2 * (hi - lo) + 1)
    for a, b in intervals:
        painted[2 * (a - lo) : 2 * (b - lo) + 1] = b"\x01" * (2 * (b - a) + 1)
    result, start = [], None
    for i, p in enumerate(painted):
        if p and start is None:
            start = i
        if not p and start is not None:
            result.append((lo + start // 2, lo + (i - 1) // 2))
            start = None
    if start is not None:
        result.append((lo + start // 2, hi))
    return result


def random_intervals(rng: random.Random, n: int, span: int, length: int):
    out = []
    for _ in range(n):
        a = rng.randint(-span, span)
        out.append((a, a + rng.randint(0, length)))
    return out


def check_case(intervals, what):
    want = oracle(intervals)
    got = [tuple(x) for x in merge_intervals(list(intervals))]
    if got != want:
        lb.fail(f"{what} n={len(intervals)} {lb.short(intervals, 60)}: got {lb.short(got, 60)}, expected {lb.short(want, 60)}")


def check(rng: random.Random) -> None:
    check_case([], "empty")
    check_case([(3, 3)], "single point")
    check_case([(1, 2), (2, 5)], "touching")
    check_case([(1, 2), (3, 4)], "adjacent but not touching")
    check_case([(5, 9), (1, 10), (2, 3)], "nested, unsorted")
    check_case([(0, 0), (0, 0)], "duplicates")
    check_case([(-5, -1), (-1, 0)], "negative, touching")
    for n in (2, 10, 100, 1000):
        for length in (0, 3, 30):
            check_case(random_intervals(rng, n, 200, length), "random")


def bench(rng: random.Random) -> None:
    lb.time_reps(
        5,
        lambda: random_intervals(rng, 600, 10**6, 200),
        lambda intervals: tuple(merge_intervals(intervals)),
    )


lb.main(check, bench)
