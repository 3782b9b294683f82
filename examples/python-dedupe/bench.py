"""Check and bench for dedupe.core.dedupe.

    python bench.py check   compares dedupe() with a plain reference; exits 1 on a difference
    python bench.py time    builds the input once, then times REPS calls in-process and prints
                            one `LESSONL_TIME_S=<wall s> LESSONL_CPU_S=<cpu s>` line per call
                            (the harness takes their medians), so interpreter start-up is not
                            part of the measurement.

Both clocks: on a shared machine a neighbour that takes the core inflates wall time (measured
here: per-run medians jumped from 34 to 77 ms under load) but leaves the process's CPU time
(`time.process_time`) within a few percent, so the harness compares CPU time, and says so.
"""

from __future__ import annotations

import random
import sys
import time

from dedupe.core import dedupe

REPS = 15


def reference(items: list) -> list:
    out, seen = [], set()
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def data(n: int, distinct: int, seed: int) -> list:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(distinct // 2)]
    return [rng.randrange(distinct // 2) if rng.random() < 0.5 else rng.choice(words)
            for _ in range(n)]


def check() -> int:
    cases = [[], [1], [1, 1, 1], [3, 1, 3, 2, 1], ["a", 1, "a", (1, 2), (1, 2), 1.0, True],
             data(2000, 300, 1), data(500, 1000, 2)]
    for i, case in enumerate(cases):
        got, want = dedupe(case), reference(case)
        if got != want:
            print(f"case {i}: expected {want[:10]}..., got {got[:10]}...")
            return 1
        if not isinstance(got, list):
            print(f"case {i}: expected a list, got {type(got).__name__}")
            return 1
    print(f"ok: {len(cases)} cases")
    return 0


def bench() -> int:
    items = data(8000, 300, 42)
    for _ in range(REPS):
        cpu = time.process_time()
        start = time.perf_counter()
        dedupe(items)
        wall = time.perf_counter() - start
        print(f"LESSONL_TIME_S={wall:.9f} LESSONL_CPU_S={time.process_time() - cpu:.9f}")
    return 0


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) == 2 else ""
    if mode == "check":
        sys.exit(check())
    if mode == "time":
        sys.exit(bench())
    sys.exit("usage: bench.py check|time")
