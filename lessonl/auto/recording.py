"""Recording the function's calls on the original: the runner's `record` then `verify`.

Both run in a private copy of the project under `.lessonl/auto/<key>/tree` (the user's tree is
never touched, not even by `__pycache__`), with the project's interpreter, the harness's
limits and scrubbed environment. What the runner reports becomes either a `Recording` or one
of the errors of `lessonl.auto.errors`, each one line with what to do.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import re
import shutil
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lessonl.auto.runner as runner_package
from lessonl.auto.errors import (
    CannotRecord,
    NothingReachesFunction,
    PytestMissing,
    TestsFailOnOriginal,
    UnsupportedFunction,
)
from lessonl.auto.generate import Generator
from lessonl.auto.project import Interpreter, ModuleLocation
from lessonl.auto.runner.strength import THRESHOLD as COVERAGE_THRESHOLD
from lessonl.errors import LessonLError
from lessonl.harness import isolation, support
from lessonl.harness.sandbox import CommandResult, Limits, run_command, scrub_env
from lessonl.harness.workspace import populate, project_files
from lessonl.state import StateDir

RUNNER = Path(runner_package.__file__).resolve().parent
MAX_CALLS = 64  # calls kept per function
RECORD_WALL_S = 600.0  # the whole test suite, once
GENERATE = Limits(wall_s=60.0, cpu_s=60.0, memory_mb=4096, file_size_mb=64)  # the generator
TARGET_PASS_S = 0.005  # each timed repetition covers about this much of the original's work
MAX_TIMED_BYTES = 64 << 20  # bound on the inputs unpickled for one repetition
_ERROR = re.compile(r"^LESSONL_ERROR: (.*)$", re.M)
# pytest must be importable; the version decides whether coverage and Hypothesis can join.
_PROBE = "import sys, pytest; print('%d.%d' % sys.version_info[:2])"


@dataclass(frozen=True)
class Recording:
    folder: Path  # holds calls.pkl and meta.json
    meta: dict[str, Any]
    interpreter: Interpreter
    location: ModuleLocation
    loops: int
    record_wall_s: float
    generator_error: str | None = None  # why generated inputs were wanted but not had
    # Set when no recorded call can be replayed and the tests that call the function judge
    # (and time) variants instead: says so, with the true reason, for `verification.notes`.
    fallback: str | None = None
    strength_error: str | None = None  # why coverage / property-based inputs are missing
    tests_left_out: str | None = None  # failing tests that do not call the function (a note)


#: Why `verify` dropped a recorded call, in the user's words (the runner's `dropped_why` keys).
DROPPED = {
    "unloadable": "recorded values cannot be loaded back (their pickling does not round-trip)",
    "differs": "not reproducible outside its test",
}
#: Where the user reads how to write a target by hand (never `lessonl target`: it records the
#: same way, so it fails the same way).
OWN_TARGET = 'a [[targets]] entry with your own test and bench commands (README, "Configuration")'


def dropped_on_replay(meta: dict[str, Any]) -> dict[str, int]:
    """Calls dropped by the runner's `verify`, by reason (a recording made before reasons were
    counted files them all as "differs", which is what it said then)."""
    total = int(meta.get("dropped_on_replay", 0))
    why = {k: int(v) for k, v in (meta.get("dropped_why") or {}).items() if v and k in DROPPED}
    rest = total - sum(why.values())
    if rest > 0:
        why["differs"] = why.get("differs", 0) + rest
    return why


def private_env(work: Path, secret_names: Sequence[str]) -> dict[str, str]:
    """The environment for the project's code run in a private copy under `work`: no
    credentials, and a HOME and temporary folder of its own inside `work`, so whatever the
    tests (or model-written inputs) write there is removed with the copy and never lands in
    the user's HOME. Shared by the recording, the skeptic and the profiler."""
    env = scrub_env(os.environ, secret_names)
    tmp = work / "home" / "tmp"
    env.update(
        HOME=str(work / "home"),
        TMPDIR=str(tmp),
        TMP=str(tmp),
        TEMP=str(tmp),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def confine(argv: list[str], *, tree: Path, writable: Path, root: Path, python: str) -> list[str]:
    """`argv` in bubblewrap as the runner runs model-chosen inputs on the project's code: only
    `writable` can be written, HOME and the real project are hidden, the runner and the
    interpreter stay readable. Shared by the recording's generated inputs and the skeptic."""
    return isolation.wrap(
        argv,
        cwd=tree,
        writable=writable,
        hidden=[*isolation.real_homes(), root],
        readable=[RUNNER, *isolation.interpreter_paths(python)],
    )


def folder_for(root: Path, rel: str, qualname: str) -> Path:
    """`.lessonl/auto/<readable>-<hash>/`: stable, so `lessonl target` output stays valid."""
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{rel}-{qualname}").strip("-")[-60:]
    digest = hashlib.sha256(f"{rel}:{qualname}".encode()).hexdigest()[:8]
    return StateDir(root).path / "auto" / f"{readable}-{digest}"


def runner_argv(
    python: str, command: str, rel: str, qualname: str, location: ModuleLocation, recording: str
) -> list[str]:
    return [
        python,
        str(RUNNER),
        command,
        "--file",
        rel,
        "--qualname",
        qualname,
        "--module",
        location.module,
        "--import-root",
        location.import_root,
        "--recording",
        recording,
    ]


async def record(
    root: Path,
    rel: str,
    qualname: str,
    interpreter: Interpreter,
    location: ModuleLocation,
    *,
    secret_names: list[str],
    generator: Generator | None = None,
    few: int = 6,
    sandbox: str = "auto",
) -> Recording:
    """Record, then measure the coverage and add property-based inputs (`_strengthen`), then
    (fewer than `few` calls or low coverage, and a `generator`) add generated inputs, then
    verify. Raises the errors of `lessonl.auto.errors`.

    Long because its steps (probe, record, strengthen, generate, verify, fall back) share
    one private copy, the command runners confined to it and the meta each step updates, and
    the copy is removed in one `finally`.
    """
    folder = folder_for(root, rel, qualname)
    work = folder / "work"
    recording = folder / "recording"
    await asyncio.to_thread(_fresh_copy, root, work, recording)
    env = private_env(work, secret_names)
    limits = Limits(wall_s=RECORD_WALL_S, cpu_s=RECORD_WALL_S, memory_mb=4096, file_size_mb=512)
    tree = work / "tree"

    async def run(argv: list[str]) -> CommandResult:
        return await run_command(argv, cwd=tree, env=env, limits=limits)

    async def run_short(argv: list[str]) -> CommandResult:
        return await run_command(argv, cwd=tree, env=env, limits=GENERATE)

    # What runs the original on inputs no test chose (derived, or from the model's generator),
    # and those inputs' replay, runs in the sandbox: a function that writes or deletes a path
    # it is given must not get random ones outside the copy (lessonl/harness/isolation.py).
    boxed = False

    def confined(argv: list[str]) -> list[str]:
        if not boxed:
            return argv
        return confine(argv, tree=tree, writable=folder, root=root, python=interpreter.path)

    async def run_confined(argv: list[str]) -> CommandResult:
        return await run_short(confined(argv))

    try:
        boxed = isolation.enabled(sandbox, where="[run]")
        probe = await run([interpreter.path, "-c", _PROBE])
        if not probe.ok:
            raise PytestMissing(
                f"pytest is not installed in {interpreter.path} ({interpreter.source}): "
                f"run `{interpreter.path} -m pip install pytest`, or set [run] interpreter"
            )
        started = time.monotonic()
        result = await run(
            runner_argv(interpreter.path, "record", rel, qualname, location, str(recording))
        )
        wall = time.monotonic() - started
        _raise_for(result, "recording")
        meta = _meta(recording)
        tests_left_out = _judge_tests(meta, qualname)
        support_dir, strength_error = await _strengthen(
            run_confined,
            interpreter,
            probe.stdout.strip(),
            folder,
            rel,
            qualname,
            location,
            recording,
        )
        meta = _meta(recording)
        generator_error: str | None = None
        generated = False

        async def generate() -> None:
            nonlocal generator_error, generated
            assert generator is not None
            generated = True
            try:
                code = await generator(meta)
                path = recording / "generator.py"
                path.write_text(code, encoding="utf-8")
                argv = runner_argv(
                    interpreter.path, "generate", rel, qualname, location, str(recording)
                )
                result = await run_confined([*argv, "--generator", str(path)])
                _raise_for(result, "running the input generator")
            except LessonLError as exc:  # said in the report (or the error below), not lost
                generator_error = str(exc)

        async def verify() -> dict[str, Any]:
            argv = runner_argv(interpreter.path, "verify", rel, qualname, location, str(recording))
            result = await run(
                confined([*argv, "--support", str(support_dir)] if support_dir else argv)
            )
            _raise_for(result, "replaying the recorded calls on the original")
            return _meta(recording)

        if (meta["kept"] < few or _coverage_low(meta)) and generator is not None:
            await generate()
            meta = _meta(recording)
        _judge_reach(meta, rel, qualname, generator_error)
        meta = await verify()
        fallback = None
        if not meta["kept"]:
            why = dropped_on_replay(meta)
            reason = _unreplayable(meta, qualname, why)
            if why.get("unloadable") and generator is not None and not generated:
                # Inputs written as code may load where the recorded ones do not.
                await generate()
                meta = await verify()
            if not meta["kept"] and why.get("unloadable") and meta["tests"]:
                n = len(meta["tests"])
                fallback = (
                    f"{reason}; variants are judged by the {n} test{'s' if n != 1 else ''} "
                    f"that call {qualname} and timed inside them"
                )
            elif not meta["kept"]:
                tried = f"; generated inputs did not help ({generator_error})" if generated else ""
                raise CannotRecord(f"{reason}{tried}; add {OWN_TARGET}")
            else:
                fallback = f"{reason}; variants are judged by generated inputs instead"
    finally:
        await asyncio.to_thread(shutil.rmtree, work, True)
    return Recording(
        folder=recording,
        meta=meta,
        interpreter=interpreter,
        location=location,
        loops=_loops(meta, recording),
        record_wall_s=wall,
        generator_error=generator_error,
        fallback=fallback,
        strength_error=strength_error,
        tests_left_out=tests_left_out,
    )


async def _strengthen(
    run: Callable[[list[str]], Awaitable[CommandResult]],
    interpreter: Interpreter,
    version: str,
    folder: Path,
    rel: str,
    qualname: str,
    location: ModuleLocation,
    recording: Path,
) -> tuple[Path | None, str | None]:
    """Measure the recorded calls' coverage and add property-based inputs (runner `strengthen`,
    see lessonl/harness/support.py for how the libraries reach the project's Python). Returns the
    support folder (None when unusable) and why strengthening did not happen, if it did not:
    a failure is a note, never the end of the run, and leaves the recording as it was."""
    if not support.same_python(version):
        return None, (
            f"coverage not measured and no property-based inputs: the project's Python is "
            f"{version or 'unknown'}, LessonL's is {sys.version_info[0]}.{sys.version_info[1]}"
        )
    made = await asyncio.to_thread(support.build, folder / "support")
    if made is None:
        return None, "coverage not measured: coverage or hypothesis is not installed with LessonL"
    argv = runner_argv(interpreter.path, "strengthen", rel, qualname, location, str(recording))
    saved = (recording / "calls.pkl").read_bytes(), (recording / "meta.json").read_bytes()
    result = await run([*argv, "--support", str(made)])
    try:
        if result.timed_out:
            raise CannotRecord(f"they did not finish within {GENERATE.wall_s:g} s")
        _raise_for(result, "adding property-based inputs")
    except LessonLError as exc:
        (recording / "calls.pkl").write_bytes(saved[0])  # as it was: never weaker
        (recording / "meta.json").write_bytes(saved[1])
        return made, f"property-based inputs dropped: {exc}"
    return made, None


def _coverage_low(meta: dict[str, Any]) -> bool:
    before = (meta.get("strength") or {}).get("before")
    if not before:
        return False
    value = before["branches"] if before.get("branches") is not None else before["lines"]
    return bool(value < COVERAGE_THRESHOLD)


def _fresh_copy(root: Path, work: Path, recording: Path) -> None:
    StateDir(root).ensure()
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(recording, ignore_errors=True)
    populate(root, work / "tree", project_files(root))
    (work / "home" / "tmp").mkdir(parents=True, exist_ok=True)


def _meta(recording: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((recording / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CannotRecord(f"the recording run left no readable meta.json ({exc})") from exc
    return data


def _raise_for(result: CommandResult, what: str) -> None:
    found = _ERROR.findall(result.stdout)
    if found:
        message = found[-1]
        if "pytest is not installed" in message:
            raise PytestMissing(f"{message}: install it there, or set [run] interpreter")
        if "not supported yet" in message:
            raise UnsupportedFunction(message)
        raise CannotRecord(message)
    if result.timed_out:
        raise CannotRecord(
            f"{what}: the project's tests did not finish within {RECORD_WALL_S:g} s; make "
            "them faster or add a [[targets]] entry"
        )
    if result.returncode != 0:
        tail = " ".join((result.stderr or result.stdout).strip().splitlines()[-3:])
        raise CannotRecord(f"{what} failed (exit status {result.returncode}): {tail[-400:]}")


def _unreplayable(meta: dict[str, Any], qualname: str, why: dict[str, int]) -> str:
    """Why no recorded call of `qualname` can be replayed, in one clause, with an example of
    each reason (the true one: arguments that cannot be loaded back are not "fixtures")."""
    examples = meta.get("examples", {})
    parts = []
    if why.get("unloadable"):
        example = examples.get("dropped:unloadable", "")
        parts.append(
            f"the recorded arguments of {why['unloadable']} cannot be loaded back "
            f"({example.split(': ', 1)[-1] if example else 'unpickling failed'})"
        )
    if why.get("differs"):
        parts.append(
            f"{why['differs']} give another result outside their test (they depend on "
            "fixtures or global state)"
        )
    return f"none of the {meta['seen']} recorded calls of {qualname} can be replayed: " + (
        "; ".join(parts) or "every one was dropped"
    )


def _listed(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _judge_tests(meta: dict[str, Any], qualname: str) -> str | None:
    """Refuse to go on when a test that calls the function fails on the original: nothing to
    trust. Failing tests that never call it judge no variant (a variant's check reruns only
    the tests that call it), so they are left out, and the returned note says so and why
    they may fail here only: boltons 24.1.0's test_iter_find_files strips its folder's path
    with `str.lstrip`, which fails in any copy whose path holds the file name's letters."""
    broken = meta["errors"] + meta["failed"]
    if not broken:
        return None
    first = meta.get("examples", {}).get("test_failure", "")
    calling = set(meta.get("tests", []))
    judging = [t for t in broken if t in calling]
    installed = "No module named" in first or "PackageNotFoundError" in first
    if not judging and not installed:
        return (
            f"{len(broken)} of the project's tests fail on the original code in LessonL's "
            f"copy of the project ({_listed(broken)}{f'; first error: {first}' if first else ''})"
            f"; none of them calls {qualname}, so they judge no variant and were left out "
            "(a test that depends on where the project lives can fail in the copy only)"
        )
    hint = "fix them first: LessonL judges variants by them"
    if installed:  # not installed there
        hint = (
            "is the project installed in the interpreter its tests run with? (install it there, "
            "e.g. `pip install -e .`, or set [run] interpreter)"
        )
    raise TestsFailOnOriginal(
        f"{len(broken)} of the project's tests fail on the original code "
        f"({_listed(broken)}){f'; first error: {first}' if first else ''}; {hint}"
    )


def _judge_reach(
    meta: dict[str, Any], rel: str, qualname: str, generator_error: str | None
) -> None:
    """Refuse to go on when nothing recorded or generated can judge a variant."""
    if meta["seen"] == 0 and not meta.get("generated"):
        ran = f"{meta['collected']} tests ran" if meta["collected"] else "no tests were found"
        tried = f"; generated inputs did not help ({generator_error})" if generator_error else ""
        raise NothingReachesFunction(
            f"no test calls {qualname} ({ran}){tried}; add a test that calls it, or {OWN_TARGET}"
        )
    if meta["kept"] == 0:
        reasons = meta.get("examples", {})
        why = reasons.get("unpicklable") or reasons.get("huge") or "every call was left out"
        raise CannotRecord(
            f"none of the {meta['seen']} calls of {qualname} could be recorded: {why}; add "
            f"{OWN_TARGET}"
        )


def _loops(meta: dict[str, Any], recording: Path) -> int:
    """Passes per timed repetition, so one repetition is long enough to time well."""
    pass_s = meta.get("pass_s") or 0.0
    loops = math.ceil(TARGET_PASS_S / pass_s) if pass_s > 0 else 100
    size = max(1, (recording / "calls.pkl").stat().st_size)
    return max(1, min(loops, 10_000, MAX_TIMED_BYTES // size))
