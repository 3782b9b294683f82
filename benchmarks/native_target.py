"""Cost per variant of the automatic C/C++ target against a hand-written one (issue 28).

    .venv/bin/python benchmarks/native_target.py [--variants 3]

On tests/data/native_cmake (a CMake project, a header function, one ctest test) it builds the
automatic target with the scripted model writing tests/native_project.py's DRIVER, then
evaluates the same correct, faster variant `--variants` times with three targets through the
same Harness and the same shortened timing (3 interleaved pairs):

- hand-written: what a user writes by hand for this function: the same driver compiled once
  with the project's flags, its output compared with the original's (`compare_output`), its
  `--time` mode as the bench;
- automatic: the generated entry (sanitized check + timed build + the project's ctest);
- automatic without the project's tests: the same entry without the ctest gate.

It prints, per target, the median build, test and whole-evaluation wall seconds per variant
(without the time spent waiting for the machine-wide timing lock, printed apart: other lessonl
processes on the machine hold it), leaving out the first evaluation, which also builds the
original, and the automatic target's ratio to the hand-written one (the issue's goal: at most
1.5x). Figures measured on a
shared 2-core machine vary by tens of percent; the ratio is what to read. The one-off cost of
`prepare` (configure, driver checks) is printed separately.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from fakes import FakeLLM  # noqa: E402
from fakes.strategies import native_replies  # noqa: E402
from native_project import (  # noqa: E402
    DRIVER,
    FAST,
    FILE,
    FUNCTION,
    agent_config,
    make_project,
    variant,
)

from lessonl import native  # noqa: E402
from lessonl.config import Config, TargetConfig, load_config  # noqa: E402
from lessonl.harness import Harness, Project  # noqa: E402
from lessonl.llm import build_team  # noqa: E402
from lessonl.native.driver import compile_argv  # noqa: E402
from lessonl.native.target import native_target  # noqa: E402


async def _costs(config: Config, target: TargetConfig, text: str, n: int) -> dict[str, float]:
    quick = dataclasses.replace(target, min_pairs=3, max_pairs=3, timing_budget_s=30.0)
    builds, tests, walls, waits = [], [], [], []
    async with Harness(Project.of(config), quick, run_id=f"bench-{target.name}") as harness:
        for i in range(n + 1):
            ev = await harness.evaluate({FILE: text}, label=f"v{i}")
            assert ev.outcome.value == "correct", ev.detail
            cost = harness.costs[ev.id]
            if i:  # the first also builds and tests the original
                builds.append(cost.build_s)
                tests.append(cost.test_s)
                walls.append(cost.wall_s - cost.lock_wait_s)
                waits.append(cost.lock_wait_s)
    return {
        "build": statistics.median(builds),
        "test": statistics.median(tests),
        "wall": statistics.median(walls),
        "wait": statistics.median(waits),
    }


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeLLM() as fake:
        root = make_project(Path(tmp), config=agent_config(fake.base_url))
        fake.script_fn(native_replies([DRIVER], lambda prompt: "no code"))
        config = load_config(root)
        team = await build_team(config, cache=False, env={"NO_KEY_NEEDED": "x"})
        started = time.perf_counter()
        try:
            made = await native.prepare(
                config, root / FILE, FUNCTION, generator_agent=team.agents[0]
            )
        finally:
            await team.aclose()
        print(
            f"prepare (configure, driver built and run on the original): "
            f"{time.perf_counter() - started:.2f} s"
        )
        assert made.driver is not None
        driver = "{project}/" + made.driver.path.relative_to(root).as_posix()
        argv = compile_argv(
            made.build, root, new_root="{root}", driver=driver, out="{build}/bench", sanitize=False
        )
        by_hand = TargetConfig(
            name="by-hand",
            files=(FILE,),
            build=" ".join(w if "{" in w else shlex.quote(w) for w in argv),
            test="{build}/bench",
            compare_output=True,
            bench="{build}/bench --time",
            readable=made.target.readable,
        )
        no_tests = native_target("auto-no-tests", FILE, made.build, root, made.driver, gate=None)
        text = variant((root / FILE).read_text(encoding="utf-8"), FAST)
        figures = {}
        for target in (by_hand, made.target, no_tests):
            cfg = dataclasses.replace(made.config, targets=(target,))
            figures[target.name] = await _costs(cfg, target, text, n)
        base = figures["by-hand"]["wall"]
        head = f"{'target':<26}{'build s':>9}{'test s':>9}{'wall s':>9}{'waited s':>10}{'ratio':>8}"
        print(head)
        for name, f in figures.items():
            print(
                f"{name:<26}{f['build']:>9.2f}{f['test']:>9.2f}{f['wall']:>9.2f}"
                f"{f['wait']:>10.2f}{f['wall'] / base:>8.2f}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=3)
    asyncio.run(main(parser.parse_args().variants))
