"""Figures for the evaluation harness (issue 3, "Benchmark"); a script, not a test.

    .venv/bin/python benchmarks/harness_bench.py [--repeats 20] [--examples cpp-histogram ...]

For each example under examples/ it opens one Harness (as a run does: the baseline is built
once) and evaluates an *identical* variant `--repeats` times, then prints:

1. stability: the worst |speedup - 1| over the repeats (target <= 0.03 on a noisy 2-core
   machine), with the median number of pairs;
2. overhead: the harness's wall time per evaluation against the bare cost of the same work,
   i.e. one build plus the timed runs alone, both taken from the same evaluation
   (`Harness.costs`: the build's and the timed bench processes' own wall times), so machine
   load affects both sides alike. Everything else (copying the project, the test run, waiting
   for the lock, statistics) is overhead; target <= 15%.

It uses the real machine-wide timing lock, so it waits for (and does not disturb) other
lessonl runs on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from unchanged import unchanged_variant

from lessonl.harness import Harness, Project

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


async def measure(name: str, repeats: int) -> None:
    root = EXAMPLES / name
    config, target, source = unchanged_variant(root)
    speedups: list[float] = []
    pairs: list[int] = []
    walls: list[float] = []
    bares: list[float] = []
    waits: list[float] = []
    async with Harness(Project.of(config), target, run_id=f"bench-{int(time.time())}") as harness:
        await harness.baseline()
        for i in range(repeats):
            started = time.perf_counter()
            ev = await harness.evaluate(source, label=f"same-{i}")
            walls.append(time.perf_counter() - started)
            costs = harness.costs[ev.id]
            bares.append(costs.build_s + costs.timed_s)
            waits.append(costs.lock_wait_s)
            if ev.outcome != "correct" or ev.speedup is None:
                raise SystemExit(f"{name}: identical variant was {ev.outcome}: {ev.detail}")
            speedups.append(ev.speedup)
            pairs.append(ev.pairs)
            print(
                f"  {name} #{i + 1}: {ev.speedup:.4f}x ci95=({ev.ci95[0]:.4f}, {ev.ci95[1]:.4f})"
                f" pairs={ev.pairs} wall={walls[-1]:.2f}s bare={bares[-1]:.2f}s"
                f" lock_wait={waits[-1]:.2f}s",
                flush=True,
            )
            report(name, speedups, pairs, walls, bares, waits)


def report(
    name: str,
    speedups: list[float],
    pairs: list[int],
    walls: list[float],
    bares: list[float],
    waits: list[float],
) -> None:
    """The two figures so far (printed after every repeat, so a cut-short run still counts)."""
    n = len(speedups)
    worst = max(abs(s - 1) for s in speedups)
    wall, bare, wait = sum(walls) / n, sum(bares) / n, sum(waits) / n
    print(
        f"{name}: identical variant x{n}: worst |speedup - 1| = {worst:.4f} "
        f"(target <= 0.03); median pairs {statistics.median(pairs):g}\n"
        f"{name}: harness wall per evaluation {wall:.2f} s vs bare {bare:.2f} s "
        f"(one build + the timed runs): overhead {100 * (wall / bare - 1):+.1f}% "
        f"(target <= 15%); of which waiting for other lessonl runs' timing lock "
        f"{wait:.2f} s; overhead without it {100 * ((wall - wait) / bare - 1):+.1f}%",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument(
        "--examples", nargs="+", default=sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
    )
    args = parser.parse_args()
    for name in args.examples:
        asyncio.run(measure(name, args.repeats))


if __name__ == "__main__":
    main()
