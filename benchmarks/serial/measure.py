"""Measure every problem of this suite directly: check baseline, reference and wrong variant,
then time baseline against reference (interleaved bench processes, median of the
LESSONL_TIME_S lines of each process, median over processes).

Each baseline/reference pair of bench runs holds lessonl's machine-wide timing lock, so it never
overlaps timing done by `lessonl` (or by another copy of this script); other load on the machine
still shows up in the figures.

This is the figure-printing companion of tests/test_bench_suite.py: it does not go through
`lessonl evaluate`, so it also works while the harness is being changed, and it shows the
bench process wall time (the suite aims at 0.05 to 0.5 s per baseline bench process).

    .venv/bin/python benchmarks/serial/measure.py [NAME ...] [--pairs 5] [--markdown]
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from lessonl.config import load_config
from lessonl.harness.timing import TimingLock

SUITE = Path(__file__).resolve().parent


@dataclass
class Variant:
    """A built copy of a problem with one version of its target file."""

    folder: Path
    build: Path
    test: list[str]
    bench: list[str]


def problems(names: list[str]) -> list[Path]:
    found = sorted(p.parent for p in SUITE.glob("*/lessonl.toml"))
    if names:
        found = [p for p in found if p.name in names]
    return found


def _expand(command: str, build: Path) -> list[str]:
    return [
        a.replace("{build}", str(build)).replace("{python}", sys.executable)
        for a in shlex.split(command)
    ]


def prepare(problem: Path, source: Path, work: Path) -> Variant:
    """Copy the problem (without reference/) to `work`, put `source` in place, build it."""
    cfg = load_config(problem)
    target = cfg.target()
    folder = work / "tree"
    shutil.copytree(problem, folder, ignore=shutil.ignore_patterns("reference", "__pycache__"))
    (folder / target.files[0]).write_bytes(source.read_bytes())
    build = work / "build"
    build.mkdir()
    if target.build:
        subprocess.run(_expand(target.build, build), cwd=folder, check=True)
    return Variant(folder, build, _expand(target.test, build), _expand(target.bench, build))


def run_check(v: Variant) -> tuple[bool, str]:
    """(passed, the check's last output line)."""
    out = subprocess.run(v.test, cwd=v.folder, capture_output=True, text=True, timeout=120)
    lines = (out.stdout + out.stderr).strip().splitlines()
    return out.returncode == 0, lines[-1] if lines else ""


def run_bench(v: Variant) -> tuple[float, float]:
    """(median of the process's LESSONL_TIME_S lines, the process's wall time)."""
    t0 = time.perf_counter()
    out = subprocess.run(v.bench, cwd=v.folder, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    times = [
        float(line.split()[0].split("=", 1)[1])
        for line in out.stdout.splitlines()
        if line.startswith("LESSONL_TIME_S=")
    ]
    return statistics.median(times), wall


async def timed_pair(a: Variant, b: Variant) -> tuple[tuple[float, float], tuple[float, float]]:
    """One bench run of each, under the exclusive timing lock."""
    async with TimingLock().exclusive():
        return run_bench(a), run_bench(b)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    rows = []
    for problem in problems(args.names):
        cfg = load_config(problem)
        target = cfg.target()
        assert cfg.problem is not None
        rel = Path(target.files[0])
        with tempfile.TemporaryDirectory() as tmp:
            variants = {}
            for label, src in (
                ("baseline", problem / rel),
                ("reference", problem / "reference" / rel.name),
                ("wrong", problem / "reference" / f"wrong{rel.suffix}"),
            ):
                (Path(tmp) / label).mkdir()
                variants[label] = prepare(problem, src, Path(tmp) / label)
            checks = {label: run_check(v)[0] for label, v in variants.items()}
            base, ref, walls = [], [], []
            for _ in range(args.pairs):
                (b, w), (r, _) = asyncio.run(
                    timed_pair(variants["baseline"], variants["reference"])
                )
                base.append(b)
                ref.append(r)
                walls.append(w)
        speedup = statistics.median(base) / statistics.median(ref)
        ok = checks["baseline"] and checks["reference"] and not checks["wrong"]
        rows.append(
            (
                problem.name,
                cfg.problem.category,
                target.language or "?",
                statistics.median(base),
                statistics.median(ref),
                speedup,
                statistics.median(walls),
                "ok" if ok else f"CHECKS {checks}",
            )
        )
        if not args.markdown:
            r = rows[-1]
            print(
                f"{r[0]:24} {r[1]:22} {r[2]:6} base {r[3] * 1e3:8.2f} ms  ref {r[4] * 1e3:8.2f} ms"
                f"  speedup {r[5]:7.2f}x  bench process {r[6]:.2f} s  {r[7]}",
                flush=True,
            )
    if args.markdown:
        print("| problem | category | language | baseline | reference | speedup | checks |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            print(
                f"| {r[0]} | {r[1]} | {r[2]} | {r[3] * 1e3:.2f} ms | {r[4] * 1e3:.2f} ms "
                f"| {r[5]:.1f}x | {r[7]} |"
            )
    return 0 if all(r[7] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
