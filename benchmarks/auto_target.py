"""Figures for the automatic Python target (issue 14); a script, not a test.

    .venv/bin/python benchmarks/auto_target.py [--problems dedupe ...]

For each Python problem of benchmarks/serial (those whose bench uses lessonl_bench.py), it:

1. copies the problem without its lessonl.toml and without reference/, and adds what a user's
   project would have instead: a tiny pytest test that calls the function on a handful of
   seeded random inputs and asserts only the result's type (so it cannot tell a right answer
   from a wrong one: the recorded calls must), plus a pytest.ini with `pythonpath = src`;
2. builds the automatic target there (records the calls while that test runs);
3. evaluates reference/<file> (faster, right) and reference/wrong.py (faster, wrong) with the
   hand-written target of the original problem and with the automatic target, through the
   same Harness and the same (shortened) timing settings.

It prints, per problem, the outcome of each variant under each target, whether they agree, the
recording's cost, and each target's check (`test` step) and timed-run costs; then the share of
problems judged the same way and the overheads. Timing uses the machine-wide lock.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import shutil
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

from lessonl import auto
from lessonl.config import Config, TargetConfig, load_config
from lessonl.harness import Harness, Project

SUITE = Path(__file__).resolve().parent / "serial"

# Each problem's tiny test: seeded random inputs from small ranges (so ties, touching
# intervals, zero totals and even windows occur, as in real data), and a type assertion only.
TESTS = {
    "dedupe": (
        "[rng.randrange(8) for _ in range(rng.randrange(30))]",
        "list",
    ),
    "group_sums": (
        "[(rng.choice('abcd'), rng.randint(-2, 2)) for _ in range(rng.randrange(12))]",
        "dict",
    ),
    "merge_intervals": (
        "[(a, a + rng.randrange(4)) for a in (rng.randrange(20) for _ in range(rng.randrange(9)))]",
        "list",
    ),
    "nearest_values": (
        "[rng.randrange(20) for _ in range(1 + rng.randrange(8))], "
        "[rng.randrange(-3, 23) for _ in range(rng.randrange(10))]",
        "list",
    ),
    "running_median": (
        "[rng.randrange(10) for _ in range(rng.randrange(12))], 1 + rng.randrange(4)",
        "list",
    ),
    "top_words": (
        "' '.join(rng.choice(['a', 'B', 'b', 'cat', 'dog', 'Cat'])"
        " for _ in range(rng.randrange(25))), 1 + rng.randrange(4)",
        "list",
    ),
}

FAST_TIMING = {"min_pairs": 3, "max_pairs": 6, "timing_budget_s": 4.0, "ci_target": 0.05}


def user_project(problem: Path, dest: Path, function: str) -> Path:
    root = dest / problem.name
    shutil.copytree(
        problem,
        root,
        ignore=shutil.ignore_patterns("lessonl.toml", "reference", ".lessonl", "__pycache__"),
    )
    args, kind = TESTS[problem.name]
    (root / "pytest.ini").write_text("[pytest]\npythonpath = src\n", encoding="utf-8")
    (root / "tests").mkdir()
    (root / "tests" / f"test_{function}.py").write_text(
        textwrap.dedent(
            f"""\
            import random

            import pytest

            from {function} import {function}


            @pytest.mark.parametrize("seed", range(8))
            def test_{function}_runs(seed):
                rng = random.Random(seed)
                assert isinstance({function}({args}), {kind})
            """
        ),
        encoding="utf-8",
    )
    return root


async def judge(
    config: Config, target: TargetConfig, rel: str, variants: dict[str, str]
) -> dict[str, tuple[str, float, float, str]]:
    """variant -> (outcome, test step s, timed runs s, detail)."""
    target = dataclasses.replace(target, **FAST_TIMING)
    out = {}
    async with Harness(Project.of(config), target, run_id=f"autobench-{time.time_ns()}") as harness:
        await harness.baseline()
        for name, text in variants.items():
            ev = await harness.evaluate({rel: text}, label=name)
            costs = harness.costs[ev.id]
            out[name] = (str(ev.outcome), costs.test_s, costs.timed_s, ev.detail[:120])
    return out


async def one(problem: Path, scratch: Path) -> dict[str, object]:
    hand_config = load_config(problem / "lessonl.toml")
    assert hand_config.problem is not None
    function = hand_config.problem.function
    hand = hand_config.targets[0]
    rel = hand.files[0]
    reference = problem / "reference"
    variants = {
        "reference": (reference / Path(rel).name).read_text(encoding="utf-8"),
        "wrong": (reference / "wrong.py").read_text(encoding="utf-8"),
    }
    hand_copy = scratch / "hand" / problem.name
    shutil.copytree(problem, hand_copy, ignore=shutil.ignore_patterns(".lessonl", "__pycache__"))
    hand_config = load_config(hand_copy / "lessonl.toml")
    by_hand = await judge(hand_config, hand_config.targets[0], rel, variants)

    root = user_project(problem, scratch / "auto", function)
    config = load_config(root, required=False)
    config = dataclasses.replace(config, root=root)
    started = time.perf_counter()
    made = await auto.prepare(config, root / rel, function)
    record_s = time.perf_counter() - started
    by_auto = await judge(made.config, made.target, rel, variants)
    same = all(by_hand[v][0] == by_auto[v][0] for v in variants)
    return {
        "problem": problem.name,
        "hand": by_hand,
        "auto": by_auto,
        "same": same,
        "record_s": record_s,
        "calls": made.verification["recorded_calls"],
    }


async def main(names: list[str] | None) -> None:
    problems = sorted(
        p.parent.parent
        for p in SUITE.glob("*/bench/lessonl_bench.py")
        if names is None or p.parent.parent.name in names
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="lessonl-autobench-") as tmp:
        for problem in problems:
            row = await one(problem, Path(tmp))
            rows.append(row)
            hand, autot = row["hand"], row["auto"]
            assert isinstance(hand, dict) and isinstance(autot, dict)
            print(
                f"{row['problem']:16} calls={row['calls']:<3} record={row['record_s']:.1f}s "
                f"reference: hand={hand['reference'][0]} auto={autot['reference'][0]}  "
                f"wrong: hand={hand['wrong'][0]} auto={autot['wrong'][0]}  "
                f"same={'yes' if row['same'] else 'NO'}  "
                f"check s hand/auto={hand['reference'][1]:.2f}/{autot['reference'][1]:.2f}  "
                f"timed s hand/auto={hand['reference'][2]:.2f}/{autot['reference'][2]:.2f}",
                flush=True,
            )
            for target_name, results in (("hand", hand), ("auto", autot)):
                for variant, result in results.items():
                    if result[3]:
                        print(f"    {target_name} {variant}: {result[3]}")
    same = sum(1 for r in rows if r["same"])
    print(f"\njudged the same way as the hand-written target: {same}/{len(rows)}")

    def med(key: str, i: int) -> float:
        values = []
        for r in rows:
            results = r[key]
            assert isinstance(results, dict)
            values.append(results["reference"][i])
        return statistics.median(values)

    print(
        f"median check (test step) per variant: hand {med('hand', 1):.2f} s, "
        f"auto {med('auto', 1):.2f} s"
    )
    print(
        f"median timed runs per variant: hand {med('hand', 2):.2f} s, auto {med('auto', 2):.2f} s"
    )
    record = [r["record_s"] for r in rows]
    print(f"median one-off recording per function: {statistics.median(record):.2f} s")  # type: ignore[type-var]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", nargs="+", metavar="NAME")
    asyncio.run(main(parser.parse_args().problems))
