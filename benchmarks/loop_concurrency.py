"""Benchmark: one LessonL round with 3 agents, concurrent vs sequential (issue 5).

The fake LLM server (tests/fakes) adds `--delay` seconds to every model call, standing in for a
real model's latency; the variants are real C++ (the histogram example), built, checked and
timed by the real harness. Each agent returns a distinct correct variant so nothing is shared
between them. Prints the wall time of each mode (median of `--repeat` runs, interleaved) and
the ratio of one round's wall time; the target is concurrent >= 2.5x faster.

    .venv/bin/python benchmarks/loop_concurrency.py [--delay 1.5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from fakes import FakeLLM  # noqa: E402
from loop_project import FAST, FILE, by_agent, make_project  # noqa: E402

from lessonl.config import load_config  # noqa: E402
from lessonl.events import Event, RoundFinished, RoundStarted  # noqa: E402
from lessonl.run import Overrides, RunRequest, execute, plan  # noqa: E402

AGENTS = ("alpha", "beta", "gamma")


def _variant(n: int) -> str:
    # Same algorithm, different text: three real builds, no accidental sharing.
    return FAST.replace(
        "std::vector<std::uint64_t> counts(", f"/* v{n} */ std::vector<std::uint64_t> counts("
    )


async def _one(root: Path, sequential: bool) -> float:
    """The round's own wall time, from RoundStarted to RoundFinished: the baseline build before
    it and the final re-timing after it are the same in both modes and are left out."""
    config = load_config(root)
    marks: dict[str, float] = {}

    def on_event(event: Event) -> None:
        if isinstance(event, RoundStarted | RoundFinished):
            marks[event.kind] = time.perf_counter()

    overrides = Overrides.given(rounds=1, sequential=sequential, cache=False)
    request = RunRequest(
        root / FILE, "histogram", overrides=overrides, config=config, on_event=on_event
    )
    await execute(plan(request))
    return marks[RoundFinished.kind] - marks[RoundStarted.kind]


def _measure(fake: FakeLLM, root: Path, answers: dict[str, str], repeat: int) -> dict[str, float]:
    fake.script_fn(by_agent(answers))
    times: dict[str, list[float]] = {"concurrent": [], "sequential": []}
    for _ in range(repeat):  # interleaved, so machine noise hits both modes alike
        for mode in times:
            times[mode].append(asyncio.run(_one(root, mode == "sequential")))
    for mode, runs in times.items():
        listed = ", ".join(f"{t:.2f}" for t in runs)
        print(f"  {mode:>10}: round wall time median {statistics.median(runs):.2f} s ({listed})")
    medians = {mode: statistics.median(runs) for mode, runs in times.items()}
    print(f"  concurrent is {medians['sequential'] / medians['concurrent']:.2f}x faster")
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=1.5, help="seconds added to every call")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with FakeLLM() as fake, tempfile.TemporaryDirectory() as tmp:
        # A private timing lock: other lessonl runs on the machine must not stall this one.
        os.environ["LESSONL_TIMING_LOCK"] = str(Path(tmp) / "timing.lock")
        fake.delay_s = args.delay
        root = make_project(Path(tmp), fake, agents=AGENTS)
        print(
            f"model delay {args.delay:.1f} s per call, {len(AGENTS)} agents, 1 round, "
            f"median of {args.repeat} runs per mode"
        )
        print("A) real variants: three distinct C++ rewrites built, checked and timed")
        _measure(fake, root, {name: _variant(i) for i, name in enumerate(AGENTS)}, args.repeat)
        print("B) model calls only: answers without code, graded without building")
        _measure(fake, root, dict.fromkeys(AGENTS, "No code today."), args.repeat)
    print("target: concurrent >= 2.5x faster. In A the harness's work is on top of the model")
    print("latency: builds share 2 cores and timing runs are serialized by design.")


if __name__ == "__main__":
    main()
