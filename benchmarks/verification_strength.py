"""Verification strength (issue 29): what deriving inputs buys and costs; a script, not a test.

    .venv/bin/python benchmarks/verification_strength.py [--repeats 3]
                                                         [--projects auto_mutate ...]

For each small real project under tests/data (copied to a temporary folder), it builds the
automatic target as `lessonl target` does (recording, coverage, property-based inputs; no
model) and prints, per function:

- coverage of the function's branches (lines when it has none) under the recorded calls
  (`before`) and under every call that judges a variant (`after`);
- calls added from property-based inputs, and the one-time cost of adding them;
- the per-variant cost: the median wall time of the target's `check` command (what the
  harness runs for every variant) with all calls, against today's check (the same command on
  the recording without the derived calls), run alternately `--repeats` times on the
  original. Goal: at most 1.5x.

On a shared machine the wall times move with the neighbours; the ratio, measured in
alternation, moves much less. Measured on the 2-core machine shared with other jobs
(2026-12-07, `--repeats 3`):

    auto_pkg      dedupe          coverage 100% -> 100%   calls 7 + 16  check 1.12x
    auto_order    unique_tags     coverage 100% -> 100%   calls 4 + 16  check 0.94x
    auto_mutate   ordered_unique  coverage 100% -> 100%   calls 5 + 16  check 0.96x
    auto_slots    inside          coverage 100% -> 100%   calls 6 + 0   check 1.10x
    auto_branches grade           coverage  50% -> 87.5%  calls 2 + 48  check 0.94x

The check is dominated by re-running the tests that call the function (2-3 s here); the
derived calls' replay is lost in its noise. Adding them costs 0.15-0.4 s in the runner, once
per recording (plus a process start in the sandbox).
"""

from __future__ import annotations

import argparse
import asyncio
import pickle
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lessonl import auto
from lessonl.auto.runner.store import PROPERTY
from lessonl.run import project_config

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
PROJECTS = {
    "auto_pkg": "textkit/words.py:dedupe",
    "auto_order": "tags/clean.py:unique_tags",
    "auto_mutate": "seqtools/uniq.py:ordered_unique",
    "auto_slots": "geom/shapes.py:inside",
    "auto_branches": "marks/grades.py:grade",
}


def _percent(coverage: dict[str, object] | None) -> str:
    if not coverage:
        return "-"
    value = coverage["branches"] if coverage.get("branches") is not None else coverage["lines"]
    return f"{value:g}%"


def _check_s(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the check failed on the original: {done.stdout[-300:]}")
    return wall


def measure(name: str, spec: str, repeats: int, tmp: Path) -> None:
    root = tmp / name
    shutil.copytree(DATA / name, root, ignore=shutil.ignore_patterns(".lessonl", "__pycache__"))
    rel, function = spec.split(":")
    file = root / rel
    started = time.perf_counter()
    made = asyncio.run(auto.prepare(project_config(file), file, function))
    prepare_s = time.perf_counter() - started
    v = made.verification
    meta = made.recording.meta
    folder = made.recording.folder
    today = folder.parent / "today"
    shutil.copytree(folder, today, dirs_exist_ok=True)
    calls = pickle.loads((folder / "calls.pkl").read_bytes())
    kept = [c for c in calls if c["test"] != PROPERTY]
    (today / "calls.pkl").write_bytes(pickle.dumps(kept, protocol=4))
    argv = shlex.split(made.target.test.replace("{python}", shlex.quote(sys.executable)))
    old = [str(today) if word == str(folder) else word for word in argv]
    now_s, old_s = [], []
    for _ in range(repeats):
        now_s.append(_check_s(argv, root))
        old_s.append(_check_s(old, root))
    now, before = statistics.median(now_s), statistics.median(old_s)
    print(
        f"{name:12} {function:15} coverage {_percent(v['coverage_before']):>6} -> "
        f"{_percent(v['coverage']):>6}  calls {v['recorded_calls']:>3} + "
        f"{v['property_inputs']:>3}  strengthen {meta['strength'].get('seconds', 0):5.2f} s "
        f"(prepare {prepare_s:5.1f} s)  check {before:5.2f} s -> {now:5.2f} s "
        f"= {now / before:4.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--projects", nargs="*", default=list(PROJECTS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.projects:
            measure(name, PROJECTS[name], args.repeats, Path(tmp))


if __name__ == "__main__":
    main()
