"""Latency figures that tests only bound loosely (a test must not fail on a loaded machine).

The tests check behaviour with wide wall-clock margins; the figures themselves are measured
here, on a quiet machine, against the same fakes and the real harness:

1. per-call timeout: wall time of a call with a 0.2 s timeout (and no retries) against a fake
   model answering after 6 s (target: about 0.2 s; tests/test_llm.py, with its retry, allows
   4 s);
2. concurrent calls: wall time of three model calls of 1 s each with max_concurrency 3
   (target: about 1 s, serial would be 3 s; tests/test_llm.py allows 2.5 s);
3. cancel: how long `optimize` takes to end after its task is cancelled while a hanging C++
   variant runs under the real harness (target: well under 1 s; tests/test_loop.py allows 20 s);
4. a clearly faster variant: the harness's speedup for tests/test_harness.py's CPP_FAST
   against CPP_SLOW (in the hundreds; the test only asks for > 5).

    .venv/bin/python benchmarks/latency_figures.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from fakes import FakeLLM  # noqa: E402
from loop_project import FAST, FILE, HANG, by_agent, make_project  # noqa: E402

from lessonl.config import AgentConfig, Config, load_config  # noqa: E402
from lessonl.events import Event, VariantEvaluated  # noqa: E402
from lessonl.llm import LLMError, SampleId, build_team  # noqa: E402
from lessonl.run import RunRequest, execute, plan  # noqa: E402

MSG = [{"role": "user", "content": "hi"}]


def _agent(fake: FakeLLM, name: str, **kw: object) -> AgentConfig:
    return AgentConfig(
        name=name, provider="openai", model="m", base_url=fake.base_url, max_retries=0, **kw
    )  # type: ignore[arg-type]


async def per_call_timeout(fake: FakeLLM, tmp: Path) -> float:
    fake.delay_s = 6.0
    config = Config(path=None, root=tmp)
    team = await build_team(config, agents=[_agent(fake, "t", timeout_s=0.2)], cache=False)
    try:
        started = time.perf_counter()
        with contextlib.suppress(LLMError):  # the timeout is the point
            await team.agents[0].model.complete(MSG, temperature=0.0, max_tokens=8)
        return time.perf_counter() - started
    finally:
        await team.aclose()


async def concurrent_calls(fake: FakeLLM, tmp: Path) -> float:
    fake.delay_s = 1.0
    config = Config(path=None, root=tmp)
    agents = [_agent(fake, f"w{i}", max_concurrency=3) for i in range(3)]
    team = await build_team(config, agents=agents, cache=False)
    try:
        started = time.perf_counter()
        await asyncio.gather(
            *(
                a.model.complete(
                    MSG, temperature=0.0, max_tokens=8, sample=SampleId("b", 0, a.name, "code")
                )
                for a in team.agents
            )
        )
        return time.perf_counter() - started
    finally:
        await team.aclose()


async def cancel_latency(fake: FakeLLM, tmp: Path) -> float:
    fake.delay_s = 0.0
    fake.script_fn(by_agent({"alpha": FAST, "beta": HANG}))
    root = make_project(tmp, fake, run="rounds = 2", timeout_s=60)
    seen: list[Event] = []
    task = asyncio.create_task(
        execute(
            plan(
                RunRequest(root / FILE, "histogram", config=load_config(root), on_event=seen.append)
            )
        )
    )
    while not any(isinstance(e, VariantEvaluated) for e in seen):  # alpha graded, beta hangs
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)
    task.cancel()
    started = time.perf_counter()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return time.perf_counter() - started


async def fast_speedup(tmp: Path) -> float:
    import test_harness as th  # the harness tests' project and variants

    root = th.cpp_project(tmp)
    async with th.harness_for(root) as h:
        await h.baseline()
        fast = await h.evaluate({"src/work.hpp": th.CPP_FAST}, label="fast")
    return fast.speedup or 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    figures: list[tuple[str, Callable[[FakeLLM, Path], Awaitable[float]], str]] = [
        ("0.2 s per-call timeout", per_call_timeout, "s"),
        ("3 concurrent 1 s calls", concurrent_calls, "s"),
        ("optimize cancelled mid-variant", cancel_latency, "s"),
        ("CPP_FAST speedup", lambda fake, tmp: fast_speedup(tmp), "x"),
    ]
    for label, measure, unit in figures:
        values = []
        for i in range(args.repeat):
            with FakeLLM() as fake, tempfile.TemporaryDirectory() as tmp:
                values.append(asyncio.run(measure(fake, Path(tmp) / str(i))))
        print(
            f"{label:32} median {statistics.median(values):8.3f} {unit}  "
            f"(min {min(values):.3f}, max {max(values):.3f}, n={len(values)})"
        )


if __name__ == "__main__":
    main()
