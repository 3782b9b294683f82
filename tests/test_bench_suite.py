"""The serial benchmark suite (benchmarks/serial/) is sound, problem by problem.

For every problem: its lessonl.toml loads with one target and a [problem] whose function exists
in the target file; the baseline passes its own check; the hidden reference solution passes and
is measured faster; the deliberately wrong variant is rejected by the check. Grading goes
through `lessonl.harness.Harness`, the machinery behind `lessonl evaluate` and the optimization
loop, so a problem that passes here behaves the same under `lessonl bench`. One test also runs
the `lessonl evaluate` command itself on a problem of each language.

Time: each problem is copied to a temporary folder (so no `.lessonl/` lands in the checkout)
and graded with one harness: the baseline is built, checked and timed once, then the reference
and the wrong variant are graded concurrently, with exactly 5 interleaved timing pairs (enough
for "faster": every reference is at least about 2.5x faster; precision is
benchmarks/serial/measure.py's job). The work is about 5-8 s per C++ problem (three g++
builds dominate) and 3 s per Python problem, about 2-3 minutes for the module; timed pairs wait
for the machine-wide timing lock, so on a machine where other lessonl runs are timing, the wall
time grows with their load (12 minutes for 2 minutes of CPU was seen on the shared dev box).
"""

from __future__ import annotations

import asyncio
import dataclasses
import filecmp
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from lessonl import regions
from lessonl.config import Config, TargetConfig, load_config
from lessonl.harness import Evaluation, Harness, Outcome, Project

SUITE = Path(__file__).resolve().parent.parent / "benchmarks" / "serial"
COMMON = SUITE / "_common"
PROBLEMS = sorted(p.parent.name for p in SUITE.glob("*/lessonl.toml"))
SHARED_HARNESS = {"cpp": "lessonl_bench.hpp", "python": "lessonl_bench.py"}


def _load(name: str) -> tuple[Config, TargetConfig]:
    cfg = load_config(SUITE / name)
    return cfg, cfg.target()


def _variant_paths(name: str) -> tuple[Path, Path, Path]:
    """(baseline file, reference solution, wrong variant) of a problem."""
    _, target = _load(name)
    rel = Path(target.files[0])
    ref = SUITE / name / "reference"
    return SUITE / name / rel, ref / rel.name, ref / f"wrong{rel.suffix}"


def test_suite_has_enough_problems_and_categories() -> None:
    languages: Counter[str] = Counter()
    categories: set[str] = set()
    for name in PROBLEMS:
        cfg, target = _load(name)
        assert cfg.problem is not None, name
        languages[target.language or "?"] += 1
        categories.add(cfg.problem.category)
    assert len(PROBLEMS) >= 24
    assert len(categories) >= 8, sorted(categories)
    assert languages["python"] >= 5
    assert languages["cpp"] > languages["python"]
    assert set(languages) <= {"cpp", "python"}, languages


@pytest.mark.parametrize("name", PROBLEMS)
def test_problem_is_well_formed(name: str) -> None:
    cfg, target = _load(name)
    problem = cfg.problem
    assert problem is not None, f"{name}: lessonl.toml lacks a [problem] table"
    assert problem.description.strip(), f"{name}: empty description"
    assert len(cfg.targets) == 1 and target.name == name
    assert len(target.files) == 1 and target.files[0].startswith("src/")
    assert "reference" in target.exclude, f"{name}: reference/ must be hidden from variants"
    assert target.language in SHARED_HARNESS
    baseline, reference, wrong = _variant_paths(name)
    for path in (baseline, reference, wrong):
        # The function under optimization exists in every version (regions raises otherwise).
        info = regions.find_function(
            path.read_text(encoding="utf-8"), target.language, problem.function
        )
        assert info.name == problem.function.split("::")[-1]
    # Each problem carries its own copy of the shared harness (it is copied alone into build
    # directories); the copies must not drift from the master in _common/.
    shared = SHARED_HARNESS[target.language]
    assert filecmp.cmp(SUITE / name / "bench" / shared, COMMON / shared, shallow=False), (
        f"{name}/bench/{shared} differs from _common/{shared}; copy the master over it"
    )


def _copy_problem(name: str, dest: Path) -> Path:
    """The problem folder copied to `dest` without state or bytecode from earlier runs."""
    folder = dest / name
    shutil.copytree(SUITE / name, folder, ignore=shutil.ignore_patterns(".lessonl", "__pycache__"))
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("name", PROBLEMS)
async def test_problem_grades_baseline_reference_and_wrong(name: str, tmp_path: Path) -> None:
    folder = _copy_problem(name, tmp_path)
    cfg = load_config(folder)
    target = dataclasses.replace(cfg.target(), min_pairs=5, max_pairs=5, timing_budget_s=30.0)
    rel = target.files[0]
    _, reference, wrong = _variant_paths(name)
    async with Harness(Project.of(cfg), target, run_id=f"suite-{name}") as harness:
        # Raises (failing the test with the check's own message) if the baseline fails its check.
        base: Evaluation = await harness.baseline()
        assert base.outcome == Outcome.CORRECT, base.detail
        ref, bad = await asyncio.gather(
            harness.evaluate({rel: reference.read_text(encoding="utf-8")}, label="reference"),
            harness.evaluate({rel: wrong.read_text(encoding="utf-8")}, label="wrong"),
        )
    assert ref.outcome == Outcome.CORRECT, f"{name}: reference {ref.outcome}: {ref.detail}"
    assert ref.speedup is not None and ref.speedup > 1.0, (
        f"{name}: reference measured {ref.speedup}x (ci95 {ref.ci95})"
    )
    assert bad.outcome == Outcome.INCORRECT, f"{name}: wrong variant {bad.outcome}: {bad.detail}"
    assert "LESSONL_SEED=" in bad.detail, "a failing check names its seed for reproduction"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["pairwise_abs_sum", "dedupe"])
def test_lessonl_evaluate_command_on_a_problem(name: str, tmp_path: Path) -> None:
    """The public command, end to end, on one C++ and one Python problem."""
    folder = _copy_problem(name, tmp_path)
    # [[targets]] is the last table of every problem's lessonl.toml: bound the timing as above.
    with (folder / "lessonl.toml").open("a", encoding="utf-8") as toml:
        toml.write("min_pairs = 5\nmax_pairs = 5\ntiming_budget_s = 30.0\n")
    _, target = _load(name)
    rel = Path(target.files[0])
    for candidate, want in ((rel.name, "correct"), (f"wrong{rel.suffix}", "incorrect")):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "lessonl",
                "evaluate",
                str(folder / rel),
                "--candidate",
                str(folder / "reference" / candidate),
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert out.returncode == 0, out.stderr
        result = json.loads(out.stdout)
        assert result["outcome"] == want, result
        if want == "correct":
            assert result["speedup"] > 1.0, result
