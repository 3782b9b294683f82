"""Identical copies of suite problems timed on a loaded machine: bench figures vs CPU time.

    .venv/bin/python benchmarks/identical_under_load.py [NAME ...] [--repeats 3] [--load 1]

For each problem (default: a few short kernels of benchmarks/serial) it opens one Harness and
evaluates the problem's *unchanged* source `--repeats` times while `--load` extra processes spin
on the CPU (on top of whatever else the machine runs). Every evaluation prints both estimates
the harness computes from the same timed runs (lessonl/harness/measure.py):

- bench: the ratio of the bench's own figures (its LESSONL_TIME_S lines, wall time in this
  suite), which is what the harness reported before it measured CPU time;
- cpu: the same runs in CPU time (each run's figure scaled by its CPU share), and the
  reported speedup (`clock` says which one it is; widened when the two disagree).

An identical copy should read 1.00x; the summary prints the worst |speedup - 1| of each
estimate, and how many reported intervals lie wholly above 1.02 (a false win).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import time
from pathlib import Path

from unchanged import unchanged_variant

from lessonl.harness import Harness

SUITE = Path(__file__).resolve().parent / "serial"
DEFAULT = ["matvec_transpose", "count_occurrences", "byte_histogram", "group_sums"]


def _spin() -> None:
    while True:
        pass


Row = tuple[str, float, float | None, float, float, float]  # name, bench, cpu, reported, los


async def measure(name: str, repeats: int, rows: list[Row]) -> None:
    config, target, source = unchanged_variant(SUITE / name)
    async with Harness(config, target, run_id=f"load-{int(time.time())}") as harness:
        await harness.baseline()
        for i in range(repeats):
            ev = await harness.evaluate(source, label=f"same-{i}")
            if ev.outcome != "correct" or ev.speedup is None or ev.speedup_bench is None:
                raise SystemExit(f"{name}: identical copy was {ev.outcome}: {ev.detail}")
            assert ev.ci95 is not None and ev.ci95_bench is not None
            cpu = f"{ev.speedup_cpu:.4f}x" if ev.speedup_cpu is not None else "n/a"
            print(
                f"{name:20} #{i + 1}: bench {ev.speedup_bench:.4f}x "
                f"[{ev.ci95_bench[0]:.4f}, {ev.ci95_bench[1]:.4f}]  cpu {cpu}  "
                f"reported {ev.speedup:.4f}x [{ev.ci95[0]:.4f}, {ev.ci95[1]:.4f}] "
                f"({ev.clock})  pairs {ev.pairs}  load {os.getloadavg()[0]:.1f}"
                + (f"\n    {ev.detail}" if ev.detail else ""),
                flush=True,
            )
            rows.append(
                (name, ev.speedup_bench, ev.speedup_cpu, ev.speedup, ev.ci95_bench[0], ev.ci95[0])
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=DEFAULT)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--load", type=int, default=1, help="extra spinning processes")
    args = parser.parse_args()
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.load)]
    for p in spinners:
        p.start()
    rows: list[Row] = []
    try:
        for name in args.names:
            asyncio.run(measure(name, args.repeats, rows))
    finally:
        for p in spinners:
            p.kill()
            p.join()
    worst_bench = max(abs(r[1] - 1) for r in rows)
    cpus = [abs(r[2] - 1) for r in rows if r[2] is not None]
    worst_reported = max(abs(r[3] - 1) for r in rows)
    print(f"\n{len(rows)} identical copies, {args.load} extra spinning process(es):")
    print(
        f"  bench figures (before): worst |speedup - 1| = {worst_bench:.4f}, "
        f"intervals wholly above 1.02: {sum(1 for r in rows if r[4] > 1.02)}"
    )
    if cpus:
        print(f"  cpu time: worst |speedup - 1| = {max(cpus):.4f} ({len(cpus)} valid)")
    print(
        f"  reported (after):       worst |speedup - 1| = {worst_reported:.4f}, "
        f"intervals wholly above 1.02: {sum(1 for r in rows if r[5] > 1.02)}"
    )


if __name__ == "__main__":
    main()
