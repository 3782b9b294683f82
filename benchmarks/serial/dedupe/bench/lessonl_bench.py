"""Small harness shared by the Python problems of the serial suite.

Every Python problem folder carries a byte-identical copy in bench/ (the master is
benchmarks/serial/_common/lessonl_bench.py; tests/test_bench_suite.py checks the copies),
because `lessonl` copies only the problem folder into a variant's build directory.

A problem's bench/main.py defines `check(rng)` and `bench(rng)` and calls `main(check, bench)`.
`main.py check` exits 0 when the function under test agrees with the check's own oracle on
fresh random inputs; `main.py bench` prints one `LESSONL_TIME_S=<wall> LESSONL_CPU_S=<cpu>`
line per repetition (fresh inputs every repetition, only the call timed, by wall time and the
process's CPU time, so a loaded machine's waiting can be told from the call's work) and a
checksum. The seed is random per run,
printed on failure, and can be forced with LESSONL_SEED=<n>.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SEED = int(os.environ.get("LESSONL_SEED", "0")) or random.SystemRandom().randrange(1, 10**9)
_checksum = 0


def add_src_to_path() -> None:
    """Make the problem's src/ importable (main.py lives in bench/)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def fail(what: str) -> None:
    """Print the failing case on one line with the seed, and exit 1."""
    print(f"FAIL (LESSONL_SEED={SEED}): {what}", flush=True)
    sys.exit(1)


def short(value: Any, limit: int = 120) -> str:
    """A repr cut to one readable line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def sink(value: Any) -> None:
    """Fold a result into the checksum printed at the end of bench."""
    global _checksum
    digest = hash(value) if isinstance(value, int | float | str | tuple) else hash(repr(value))
    _checksum = (_checksum * 1000003 + digest) & 0xFFFFFFFFFFFF


def time_reps(reps: int, make: Callable[[], Any], run: Callable[[Any], Any]) -> None:
    """Time `run(make())` `reps` times; only `run` is timed, inputs are fresh each time."""
    for _ in range(reps):
        data = make()
        c0 = time.process_time()
        t0 = time.perf_counter()
        result = run(data)
        t1 = time.perf_counter()
        c1 = time.process_time()
        print(f"LESSONL_TIME_S={t1 - t0:.9f} LESSONL_CPU_S={c1 - c0:.9f}")
        sink(result)


def main(check: Callable[[random.Random], None], bench: Callable[[random.Random], None]) -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    rng = random.Random(SEED)
    if mode == "check":
        check(rng)
        print(f"ok (LESSONL_SEED={SEED})")
    elif mode == "bench":
        bench(rng)
        print(f"checksum={_checksum}")
    else:
        print(f"usage: {sys.argv[0]} check|bench", file=sys.stderr)
        sys.exit(2)
