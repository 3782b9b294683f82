"""Check and bench for group_sums.

Tolerance: each total may differ from the oracle by 1e-9 * (sum of |values| of that key), so a
different summation order is accepted; the keys and their order must match exactly.
"""

import random

import lessonl_bench as lb

lb.add_src_to_path()
from group_sums import group_sums  # noqa: E402


def oracle(records):
    order, totals, mags = [], {}, {}
    for key, value in records:
        if key not in totals:
            order.append(key)
            totals[key], mags[key] = 0.0, 0.0
        totals[key] += value
        mags[key] += abs(value)
    return order, totals, mags


def check_case(records, what):
    order, totals, mags = oracle(records)
    got = group_sums(list(records))
    if not isinstance(got, dict):
        lb.fail(f"{what} n={len(records)}: returned {type(got).__name__}, expected dict")
    if list(got) != order:
        lb.fail(f"{what} n={len(records)}: keys {lb.short(list(got))}, expected {lb.short(order)}")
    for key in order:
        if not abs(got[key] - totals[key]) <= 1e-9 * mags[key]:
            lb.fail(f"{what} n={len(records)}: total of {key!r} is {got[key]!r}, expected {totals[key]!r}")


def random_records(rng: random.Random, n: int, keys: int, integral: bool = False):
    names = [f"k{rng.randrange(10**6)}" for _ in range(keys)]
    if integral:
        return [(rng.choice(names), float(rng.randint(-3, 3))) for _ in range(n)]
    return [(rng.choice(names), rng.uniform(-100.0, 100.0)) for _ in range(n)]


def check(rng: random.Random) -> None:
    check_case([], "empty")
    check_case([("a", 1.5)], "single record")
    check_case([("a", 2.0), ("b", 1.0), ("a", -2.0)], "total exactly zero")
    check_case([("x", 0.0)], "zero value")
    for n in (2, 10, 300, 3000):
        for keys in (1, 3, 50):
            check_case(random_records(rng, n, keys), "random")
            check_case(random_records(rng, n, keys, integral=True), "small integers, cancelling")


def bench(rng: random.Random) -> None:
    lb.time_reps(
        5,
        lambda: random_records(rng, 6000, 150),
        lambda records: tuple(round(v, 6) for v in group_sums(records).values()),
    )


lb.main(check, bench)
