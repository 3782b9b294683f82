"""Check and bench for dedupe (exact comparison of the resulting list)."""

import random

import lessonl_bench as lb

lb.add_src_to_path()
from dedupe import dedupe  # noqa: E402


def check_case(items, what):
    want = []
    seen = set()
    for x in items:
        if x not in seen:
            seen.add(x)
            want.append(x)
    got = dedupe(list(items))
    if list(got) != want:
        lb.fail(f"{what} n={len(items)} {lb.short(items, 60)}: got {lb.short(got, 60)}, expected {lb.short(want, 60)}")


def check(rng: random.Random) -> None:
    check_case([], "empty")
    check_case([7], "single")
    check_case([3, 3, 3], "all equal")
    check_case([1, 2, 1, 3, 2], "interleaved repeats")
    check_case(["b", "a", "b", "c", "a"], "strings")
    check_case([1, 1.0, True, "1", (1,)], "equal-comparing mixed types")
    for n in (2, 10, 200, 3000):
        for distinct in (1, 5, n):
            check_case([rng.randint(-distinct, distinct) for _ in range(n)], "random ints")


def bench(rng: random.Random) -> None:
    lb.time_reps(
        5,
        lambda: [rng.randrange(800) for _ in range(2500)],
        lambda items: tuple(dedupe(items)),
    )


lb.main(check, bench)
