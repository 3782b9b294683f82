"""The automatic C/C++ target: the `[[targets]]` entry a build, a driver and a test gate make.

`build` compiles the driver twice against the variant's copy with the project's flags: `bench`
as the project builds (the timed build) and `check` with the sanitizers; and, when the
project has tests, builds the project in the copy. The three are independent, so they run at
once (`parallel`): with free cores the build takes its longest step's time, not the sum. `test`
runs the sanitized driver through `lessonl.native.check` (its output against the original's),
then the project's tests. With the sandbox on, the project's build folder is configured and
built once, by the original, and each variant rebuilds only what its change reaches
(`reuse_build`, lessonl/native/tests.py). `bench` runs the driver's timing mode. The
harness runs them like any hand-written target's commands, in the sandbox, so copies, limits,
interleaving and the noise margin apply unchanged.

Without a driver, the project's test run is the timed workload and the project's tests alone
judge correctness (the run says so).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from lessonl.config import TargetConfig
from lessonl.native import check
from lessonl.native.build import Build
from lessonl.native.driver import MEMORY_MB, UNBOUNDED_MB, Driver, compile_argv
from lessonl.native.tests import Gate
from lessonl.state import StateDir

#: Bounds the address space of the commands that run unsanitized code when the target's own
#: limit is lifted for the sanitizers (see driver.UNBOUNDED_MB).
_BOUND = f"ulimit -v {MEMORY_MB * 1024}"


def _shell(argv: list[str]) -> str:
    """Words quoted for sh, placeholders left readable (they are quoted when expanded)."""
    return " ".join(w if "{" in w else shlex.quote(w) for w in argv)


def parallel(steps: list[str]) -> str:
    """One sh command running `steps` at once, each its output in its own log under {build};
    it fails when any step fails, printing the failed steps' logs (in order) on stderr, so the
    compiler's first error still comes first. Why: the driver's two compiles and the project's
    build, one after another, were most of a variant's evaluation (benchmarks/native_target.py);
    on a loaded 2-core machine at once measured the same, with free cores it is the longest."""
    if len(steps) < 2:
        return " && ".join(steps)
    parts = []
    for i, step in enumerate(steps[:-1]):
        parts.append(f"( {step} ) > {{build}}/step{i}.log 2>&1 & p{i}=$!")
    last = len(steps) - 1
    parts.append(f"( {steps[-1]} ) > {{build}}/step{last}.log 2>&1; s{last}=$?")
    parts += [f"wait $p{i}; s{i}=$?" for i in range(last)]
    parts += [f'[ "$s{i}" -eq 0 ] || cat {{build}}/step{i}.log >&2' for i in range(len(steps))]
    ok = " && ".join(f'[ "$s{i}" -eq 0 ]' for i in range(len(steps)))
    return "; ".join(parts) + f"; {ok}"


def _in_project(path: Path, root: Path) -> str:
    return "{project}/" + path.resolve().relative_to(root.resolve()).as_posix()


def native_target(
    name: str, rel: str, build: Build, root: Path, driver: Driver | None, gate: Gate | None
) -> TargetConfig:
    steps: list[str] = []
    tests: list[str] = []
    bench = ""
    sanitized = driver is not None and driver.sanitized
    bound = f"{_BOUND} && " if sanitized else ""
    if driver is not None:
        source = _in_project(driver.path, root)
        for out, sanitize in (("bench", False), ("check", driver.sanitized)):
            argv = compile_argv(
                build,
                root,
                new_root="{root}",
                driver=source,
                out="{build}/" + out,
                sanitize=sanitize,
            )
            steps.append(_shell(argv))
        tests.append(
            f"{{python}} -m lessonl.native.check --expected {_in_project(driver.expected, root)} "
            "-- {build}/check"
        )
        bench = f"{bound}exec {{build}}/bench --time"
    if gate is not None:
        steps.append(gate.build)
        tests.append(f"({bound}{gate.test})" if bound else gate.test)
        if driver is None:
            bench = gate.test
    build_cmd = parallel(steps) or None
    if sanitized and build_cmd:
        build_cmd = f"{_BOUND} && {{ {build_cmd}; }}"
    return TargetConfig(
        name=name,
        files=(rel,),
        build=build_cmd,
        test=" && ".join(tests),
        bench=bench,
        timeout_s=120.0,
        memory_mb=UNBOUNDED_MB if sanitized else MEMORY_MB,
        readable=(StateDir(root).path.joinpath("native", "drivers").relative_to(root).as_posix(),)
        if driver is not None
        else (),
        reuse_build=gate.reuse if gate is not None else (),
    )


def verification(
    rel: str, function: str, build: Build, driver: Driver | None, gate: Gate | None, why: str
) -> dict[str, Any]:
    """The report's `verification` for an automatic C/C++ target: what judged correctness."""
    judges = []
    notes: list[str] = [f"compiled with {build.how}"]
    if driver is not None:
        judges.append(
            f"a differential driver ({driver.source}) comparing {driver.lines} result lines "
            "with the original's"
        )
        judges.append(
            "AddressSanitizer and UndefinedBehaviorSanitizer"
            if driver.sanitized
            else "no sanitizers (the compiler cannot build with them here)"
        )
        notes += [f"a driver was dropped: {' '.join(d.split())[:500]}" for d in driver.dropped]
    else:
        notes.append(f"no differential driver: {why}; the project's tests are the timed workload")
    if gate is not None:
        judges.append(gate.how)
    weak = None
    if driver is None:
        # One line (a compiler's error runs over several): it ends up in a TOML comment.
        judges.append(f"no differential driver ({' '.join(why.split())[:300]})")
        weak = (
            f"correctness of {function} rests on the project's tests alone (no differential "
            "driver): review the change"
        )
    elif gate is None:
        weak = (
            f"correctness of {function} rests on the differential driver alone (the project "
            "has no tests lessonl can run): review the change"
        )
    summary = "judged by " + ", ".join(judges)
    return {
        "kind": "native",
        "file": rel,
        "function": function,
        "build": build.kind,
        "compile": build.how,
        "driver": str(driver.path) if driver is not None else None,
        "driver_source": driver.source if driver is not None else None,
        "driver_results": driver.lines if driver is not None else 0,
        "sanitizers": bool(driver is not None and driver.sanitized),
        "tests": gate.how if gate is not None else None,
        "tolerance": (
            f"|a-b| <= {check.ABS_TOL:g} + {check.REL_TOL:g}*max(|a|,|b|) for non-integers"
        ),
        "summary": summary,
        "weak": weak,
        "notes": notes,
    }


def to_toml(target: TargetConfig, made_verification: dict[str, Any]) -> str:
    """The entry as a user would commit it, with the driver saved beside it."""

    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [
        f"# Automatic C/C++ target for {made_verification['function']}: "
        f"{made_verification['summary']}.",
        f"# Compiled with {made_verification['compile']}.",
    ]
    if made_verification["driver"]:
        lines.append(
            "# The driver and the original's output live in .lessonl/native/drivers/; commit "
            "them with this entry to keep them."
        )
    lines += [
        "[[targets]]",
        f"name = {q(target.name)}",
        f"files = [{', '.join(q(f) for f in target.files)}]",
    ]
    if target.build:
        lines.append(f"build = {q(target.build)}")
    lines += [
        f"test = {q(target.test)}",
        f"bench = {q(target.bench)}",
        f"timeout_s = {target.timeout_s:g}",
        f"memory_mb = {target.memory_mb}",
    ]
    if target.readable:
        lines.append(f"readable = [{', '.join(q(p) for p in target.readable)}]")
    if target.reuse_build:
        lines.append(f"reuse_build = [{', '.join(q(p) for p in target.reuse_build)}]")
    return "\n".join(lines) + "\n"
