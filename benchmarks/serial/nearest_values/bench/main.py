"""Check and bench for nearest_values (exact comparison)."""

import random

import lessonl_bench as lb

lb.add_src_to_path()
from nearest_values import nearest_values  # noqa: E402


def check_case(values, queries, what):
    want = []
    for q in queries:
        best = None
        for v in values:
            if best is None or abs(v - q) < abs(best - q) or (abs(v - q) == abs(best - q) and v < best):
                best = v
        want.append(best)
    got = list(nearest_values(list(values), list(queries)))
    if len(got) != len(want):
        lb.fail(f"{what} n={len(values)}: {len(got)} answers for {len(queries)} queries")
    for q, g, e in zip(queries, got, want, strict=True):
        if g != e:
            lb.fail(f"{what} n={len(values)} values={lb.short(values, 50)}: query {q} gave {g}, expected {e}")


def check(rng: random.Random) -> None:
    check_case([5], [0, 5, 10], "single value")
    check_case([1, 3], [2], "tie between two values")
    check_case([3, 1], [2, 0, 4], "unsorted, tie")
    check_case([2, 2, 2], [1, 2, 3], "duplicates")
    check_case([-10, 10], [0, -11, 11], "negative, tie at zero")
    check_case([1, 2, 3], [], "no queries")
    for n in (2, 10, 300):
        for span in (5, 1000):
            values = [rng.randint(-span, span) for _ in range(n)]
            queries = [rng.randint(-span - 3, span + 3) for _ in range(200)]
            check_case(values, queries, "random")
            evens = [2 * rng.randint(-span, span) for _ in range(n)]
            check_case(evens, [2 * rng.randint(-span, span) + 1 for _ in range(200)], "odd queries between even values")


def bench(rng: random.Random) -> None:
    def make():
        return [rng.randint(-10**6, 10**6) for _ in range(2000)], [rng.randint(-10**6, 10**6) for _ in range(60)]

    lb.time_reps(5, make, lambda vq: sum(nearest_values(*vq)))


lb.main(check, bench)
