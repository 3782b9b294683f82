"""Timing an identical variant while this process's local model is generating; a script.

    .venv/bin/python benchmarks/timing_under_model.py [--problem matvec_transpose] [--repeats 6]

During a run the local model server keeps answering other agents while the harness times a
pair. lessonl/quiet.py pauses the server for each timed pair; this script shows what that buys.
It starts the real local model (the `local` extra), keeps it busy with back-to-back chat requests,
and evaluates the *unchanged* source of a suite problem `--repeats` times in each of two arms,
alternating: `paused` (the default behaviour) and `running` (the server left alone). For each arm
it prints the worst and the median |speedup - 1| (an identical variant should be 1.00 +/- 0.03).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from pathlib import Path

import openai
from unchanged import unchanged_variant

from lessonl import quiet
from lessonl.harness import Harness, Project
from lessonl.llm import local

SUITE = Path(__file__).resolve().parent / "serial"


async def _chatter(base_url: str, model: str, stop: asyncio.Event) -> int:
    client = openai.AsyncOpenAI(base_url=base_url, api_key="not-needed")
    done = 0
    while not stop.is_set():
        await client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "Write a C++ quicksort with comments."}],
            max_tokens=256,
        )
        done += 1
    return done


async def measure(problem: str, repeats: int) -> None:
    root = SUITE / problem
    config, target, source = unchanged_variant(root)
    lease = await local.acquire(await asyncio.to_thread(local.ensure_model))
    stop = asyncio.Event()
    chatter = asyncio.create_task(_chatter(lease.base_url, lease.alias, stop))
    results: dict[str, list[float]] = {"paused": [], "running": []}
    try:
        async with Harness(
            Project.of(config), target, run_id=f"quiet-{int(time.time())}"
        ) as harness:
            await harness.baseline()
            for i in range(repeats):
                for arm, values in results.items():
                    if arm == "paused":
                        quiet.register(lease.pid)
                    else:
                        quiet.unregister(lease.pid)
                    ev = await harness.evaluate(source, label=f"{arm}-{i}")
                    if ev.speedup is None:
                        raise SystemExit(f"identical variant was {ev.outcome}: {ev.detail}")
                    values.append(ev.speedup)
                    print(f"  {arm} #{i + 1}: {ev.speedup:.4f}x pairs={ev.pairs}", flush=True)
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(chatter, 120)
        lease.release()
    print(f"{problem}: identical variant, the local model generating throughout, {repeats} each:")
    for arm, values in results.items():
        dev = [abs(s - 1) for s in values]
        worst, middle = max(dev), statistics.median(dev)
        print(f"  {arm:8s} worst |speedup - 1| = {worst:.4f}, median {middle:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", default="matvec_transpose")
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args()
    asyncio.run(measure(args.problem, args.repeats))


if __name__ == "__main__":
    main()
