"""What the sandbox costs, and that it does not bias timing (issue 15); a script, not a test.

    .venv/bin/python benchmarks/sandbox_overhead.py [--starts 40] [--repeats 5]
                                                   [--examples cpp-histogram python-dedupe]

1. Start-up: the median wall time of `run_command` for `/bin/true` and for `python -c pass`,
   bare and wrapped in bubblewrap with the harness's policy (`isolation.wrap`), interleaved;
   the difference is what every build, test and bench command pays once.
2. Identical variant: for each example, one Harness with `sandbox = "required"` and one with
   `sandbox = "off"` (runs alternate between them), each evaluating the unchanged code
   `--repeats` times. Both arms of every pair run in the same mode, so the ratio must stay
   1.00 within the harness's margin (the 1.02 noise margin) in both modes; the baseline's
   in-process time per mode shows the sandbox does not slow the timed code itself.

Uses the real machine-wide timing lock, like harness_bench.py.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

from unchanged import unchanged_variant

from lessonl.harness import Harness, Project, isolation
from lessonl.harness.sandbox import Limits, run_command

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LIMITS = Limits(wall_s=30, cpu_s=30, memory_mb=4096, file_size_mb=64)


async def startup(starts: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        commands = {"/bin/true": ["/bin/true"], "python -c pass": [sys.executable, "-c", "pass"]}
        for name, argv in commands.items():
            wrapped = isolation.wrap(
                argv, cwd=folder, writable=folder, hidden=isolation.real_homes()
            )
            bare: list[float] = []
            boxed: list[float] = []
            for _ in range(starts):
                for out, cmd in ((bare, argv), (boxed, wrapped)):
                    result = await run_command(cmd, cwd=folder, env={}, limits=LIMITS)
                    if result.returncode != 0:
                        raise SystemExit(f"{name}: {result.stderr.strip()}")
                    out.append(result.wall_s)
            b, s = statistics.median(bare), statistics.median(boxed)
            print(
                f"start-up {name:15s} bare {b * 1e3:6.2f} ms  sandboxed {s * 1e3:6.2f} ms"
                f"  cost {1e3 * (s - b):+6.2f} ms per command (median of {starts})",
                flush=True,
            )


async def identical(name: str, repeats: int) -> None:
    config, target, source = unchanged_variant(EXAMPLES / name)
    modes = ("required", "off")
    results: dict[str, list[float]] = {m: [] for m in modes}
    baselines: dict[str, float] = {}
    stamp = int(time.time())
    harnesses = {
        m: Harness(
            Project.of(config), dataclasses.replace(target, sandbox=m), run_id=f"sbx-{stamp}-{m}"
        )
        for m in modes
    }
    try:
        for mode, h in harnesses.items():
            await h.__aenter__()
            base = await h.baseline()
            baselines[mode] = base.baseline_s or 0.0
        for i in range(repeats):
            for mode in modes if i % 2 == 0 else modes[::-1]:
                ev = await harnesses[mode].evaluate(source, label=f"same-{i}")
                if ev.outcome != "correct" or ev.speedup is None or ev.ci95 is None:
                    raise SystemExit(f"{name} ({mode}): identical variant was {ev.outcome}")
                results[mode].append(ev.speedup)
                print(
                    f"  {name} sandbox={mode:8s} #{i + 1}: {ev.speedup:.4f}x"
                    f" ci95=({ev.ci95[0]:.4f}, {ev.ci95[1]:.4f}) pairs={ev.pairs}",
                    flush=True,
                )
    finally:
        for h in harnesses.values():
            await h.__aexit__(None, None, None)
    for mode in modes:
        got = results[mode]
        worst = max(abs(s - 1) for s in got)
        print(
            f"{name:14s} sandbox={mode:8s} median {statistics.median(got):.4f}x"
            f"  worst |speedup-1| {worst:.4f}  baseline {baselines[mode] * 1e3:.3f} ms"
            f" (in-process, first run)",
            flush=True,
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--examples", nargs="+", default=["cpp-histogram", "python-dedupe"])
    args = parser.parse_args()
    found = isolation.probe()
    if not found.ok:
        raise SystemExit(f"cannot sandbox here: {found.detail}; {found.fix}")
    print(f"sandbox: {found.detail}", flush=True)
    await startup(args.starts)
    for name in args.examples:
        await identical(name, args.repeats)


if __name__ == "__main__":
    asyncio.run(main())
