"""Check and bench for running_median.

Tolerance: none needed: a median is one of the inputs or the mean of two of them, computed the
same way in any correct implementation, so results are compared exactly.
"""

import random
import statistics

import lessonl_bench as lb

lb.add_src_to_path()
from running_median import running_median  # noqa: E402


def check_case(values, w, what):
    want = [statistics.median(values[i : i + w]) for i in range(len(values) - w + 1)]
    got = list(running_median(list(values), w))
    if len(got) != len(want):
        lb.fail(f"{what} n={len(values)} w={w}: {len(got)} medians, expected {len(want)}")
    for i, (g, e) in enumerate(zip(got, want, strict=True)):
        if g != e:
            lb.fail(f"{what} n={len(values)} w={w}: window {i} median {g!r}, expected {e!r}")


def check(rng: random.Random) -> None:
    check_case([], 1, "empty")
    check_case([4.0], 1, "single")
    check_case([4.0], 2, "window longer than input")
    check_case([1.0, 2.0], 2, "even window")
    check_case([5.0, 5.0, 5.0, 1.0], 2, "duplicates")
    for n in (3, 20, 400):
        for w in (1, 2, 3, 4, 9, 10):
            check_case([rng.uniform(-1e3, 1e3) for _ in range(n)], w, "random floats")
            check_case([float(rng.randint(-2, 2)) for _ in range(n)], w, "many ties")
            check_case([rng.randint(-50, 50) for _ in range(n)], w, "integers")


def bench(rng: random.Random) -> None:
    lb.time_reps(
        5,
        lambda: [rng.random() for _ in range(6000)],
        lambda values: sum(running_median(values, 101)),
    )


lb.main(check, bench)
