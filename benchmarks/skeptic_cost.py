"""What the skeptic costs per would-be winner, next to the automatic check it adds to (issue 29);
a script, not a test.

    .venv/bin/python benchmarks/skeptic_cost.py [--repeats 3]

For each project (tests/data/auto_skeptic: count_even; tests/data/auto_order: unique_tags) it
records the automatic target as `lessonl optimize` would, then, `--repeats` times each,
interleaved:

1. the automatic check of a right rewrite: the target's own `test` command (the runner's
   `check`: replay the recorded calls, then the tests that call the function) in a copy of the
   project holding the rewrite, as the harness runs it (without the sandbox's start-up);
2. one skeptic attack on the same rewrite (`Skeptic.attack`), the model being the fake server
   answering at once with 30 inputs, so the figure is the sandboxed runner work alone (copy,
   generate twice on the original, verify, check): a real model adds its own latency.

It prints the median wall time of each and their ratio. The attack runs once per would-be
winner, not per variant, so the extra per variant is that ratio times the share of variants
that would win (one in three or fewer in our runs).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lessonl import auto  # noqa: E402
from lessonl.auto.skeptic import Skeptic  # noqa: E402
from lessonl.config import load_config  # noqa: E402
from lessonl.harness import isolation  # noqa: E402
from lessonl.harness.sandbox import Limits, run_command, scrub_env  # noqa: E402
from lessonl.harness.workspace import populate, project_files  # noqa: E402
from lessonl.llm import build_team  # noqa: E402
from lessonl.llm.types import Usage  # noqa: E402
from tests.fakes import FakeLLM  # noqa: E402
from tests.fakes.strategies import skeptic_inputs  # noqa: E402

DATA = REPO / "tests" / "data"
PROJECTS = {
    "auto_skeptic": (
        "evens/count.py",
        "count_even",
        "def count_even(values):\n    return sum(1 for v in values if v % 2 == 0)\n",
        "[(([i % 7 - 3 + 0.5 * (i % 2) for i in range(n)],), {}) for n in range(30)]",
    ),
    "auto_order": (
        "tags/clean.py",
        "unique_tags",
        "def unique_tags(tags):\n    return [t for t in dict.fromkeys("
        "tag.strip().lower() for tag in tags) if t]\n",
        "[(([' A', 'a', 'B ', '', 'ß', 'SS', 'x' * n],), {}) for n in range(30)]",
    ),
}
CHECK = Limits(wall_s=120, cpu_s=120, memory_mb=4096, file_size_mb=64)


def _write_team(root: Path, fake: FakeLLM) -> None:
    (root / "lessonl.toml").write_text(
        f'[run]\ncache = false\n\n[[agents]]\nname = "s"\nprovider = "openai"\nmodel = "s"\n'
        f'base_url = "{fake.base_url}"\nmax_retries = 0\napi_key_env = "NO_KEY_NEEDED"\n',
        encoding="utf-8",
    )


async def one_project(name: str, repeats: int, fake: FakeLLM, tmp: Path) -> tuple[float, float]:
    rel, function, fast, inputs = PROJECTS[name]
    root = tmp / name
    shutil.copytree(DATA / name, root)
    _write_team(root, fake)
    config = load_config(root)
    made = await auto.prepare(config, root / rel, function)
    original = (root / rel).read_text(encoding="utf-8")
    head = original[: original.index(f"def {function}")]
    candidate = head + fast
    fake.script_fn(
        lambda req: (
            f"```python\ndef generate_inputs():\n    return {inputs}\n```"
            if "behave differently" in req.prompt
            else skeptic_inputs("(([],), {})")
        )
    )
    team = await build_team(config, cache=False, env={"NO_KEY_NEEDED": "x"})
    skeptic = Skeptic(
        agent=team.agents[0],
        recording=made.recording,
        root=root,
        rel=rel,
        qualname=function,
        function=function,
        original=original,
        secret_names=[],
        max_tokens=1024,
        sandboxed=isolation.enabled(config.run.sandbox),
    )
    copy = tmp / f"{name}-check"
    populate(root, copy, project_files(root), overrides={rel: candidate})
    argv = made.target.test.replace("{python}", sys.executable).split()
    checks, attacks = [], []
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            result = await run_command(argv, cwd=copy, env=scrub_env(dict(), []), limits=CHECK)
            checks.append(time.perf_counter() - start)
            assert result.returncode == 0, result.stdout + result.stderr
            start = time.perf_counter()
            verdict = await skeptic.attack(candidate, Usage(), run_id="bench", round=0)
            attacks.append(time.perf_counter() - start)
            assert verdict.status == "passed", verdict
    finally:
        await team.aclose()
    check, attack = statistics.median(checks), statistics.median(attacks)
    print(
        f"{name:14s} {function:12s} check {check:6.2f} s   skeptic attack {attack:6.2f} s "
        f"({verdict.inputs} inputs)   attack/check {attack / check:4.2f}x",
        flush=True,
    )
    return check, attack


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with FakeLLM() as fake, tempfile.TemporaryDirectory() as folder:
        for name in PROJECTS:
            await one_project(name, args.repeats, fake, Path(folder))


if __name__ == "__main__":
    asyncio.run(main())
