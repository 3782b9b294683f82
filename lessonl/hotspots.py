"""Where a Python project's time goes: profile a workload, map the profile to the project's
functions, rank them (`lessonl hotspots`).

The profiler is the standard library's cProfile: being stdlib, it runs under the project's own
interpreter without installing anything into it, and it gives per function both the own time
and the cumulative (inclusive) time, which is what the ranking needs. Functions outside the
project (site-packages, the standard library, the project's tests) are left out of the ranking,
but their time still counts in their callers' inclusive time: cProfile's cumulative time
already includes every callee.

The workload runs the project's code, so it is run the way the automatic target's recording
runs the project's tests (lessonl.auto.recording): in a private copy of the project under
`.lessonl/hotspots/work/` (the user's tree never gets a `__pycache__`), with the project's
interpreter, the harness's limits and a scrubbed environment whose HOME and TMPDIR are inside
the copy. cProfile's own command line (`python -m cProfile`) swallows the workload's SystemExit
and exits 0, which would hide a failing test suite; so a few lines (`PROFILE`) run the workload
under `cProfile.Profile` and keep its exit status. The profile is read with `pstats` here, in
LessonL's process. The result is kept as `.lessonl/hotspots/latest.json` (and the raw profile
as `latest.prof`), both written only once everything succeeded, so a Ctrl-C or a failure never
leaves half a result.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import json
import os
import pstats
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from lessonl import native_hotspots as native
from lessonl.atomic import write_text
from lessonl.auto.errors import UnsupportedFunction
from lessonl.auto.project import Interpreter, check_supported
from lessonl.auto.recording import private_env
from lessonl.config import Config
from lessonl.errors import LessonLError, UsageError
from lessonl.harness.sandbox import CommandResult, Limits, run_command
from lessonl.harness.workspace import populate, project_files
from lessonl.hotspots_view import stamp
from lessonl.process import scrub_env
from lessonl.state import STATE_DIR_NAME, StateDir

DEFAULT_TIMEOUT_S = 600.0
#: The default workload: the project's tests (no cache folder written into the copy).
TESTS = ("-m", "pytest", "-q", "-p", "no:cacheprovider")

#: Run by the project's interpreter as `-c PROFILE OUT KIND TARGET ARGS...`: the workload
#: (`KIND` "module" or "script") under cProfile, its exit status kept (see the docstring).
PROFILE = """\
import cProfile, os, runpy, sys, traceback
out, kind, target, *args = sys.argv[1:]
sys.argv = [target, *args]
if kind == "script":
    sys.path[0] = os.path.dirname(os.path.abspath(target))
else:
    sys.path[0] = os.getcwd()
prof = cProfile.Profile()
code = 0
try:
    prof.enable()
    try:
        if kind == "module":
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(target, run_name="__main__")
    finally:
        prof.disable()
except SystemExit as exc:
    if exc.code is None:
        code = 0
    elif isinstance(exc.code, int):
        code = exc.code
    else:
        print(exc.code, file=sys.stderr)
        code = 1
except BaseException:
    traceback.print_exc()
    code = 1
prof.dump_stats(out)
sys.stdout.flush()
os._exit(code)
"""

_PYTHON = re.compile(r"^python[0-9.]*$")
_TEST_FOLDERS = frozenset({"tests", "test", "testing"})
_OUTSIDE = frozenset({"site-packages", "dist-packages", ".venv", "venv", ".tox", ".nox"})


class WorkloadFailed(LessonLError):
    """The workload failed or hung on the original code: nothing trustworthy to rank."""

    exit_code = 1


class NoProjectFunctions(LessonLError):
    """The profile holds no function of the project (the workload never ran its code)."""

    exit_code = 1


@dataclass(frozen=True)
class Workload:
    """What runs under the profiler: a module (`-m`) or a script, with its arguments, and how
    the user wrote it (for the report)."""

    kind: str  # "module", "script", or "native" (a C/C++ program: lessonl.native_hotspots)
    target: str
    args: tuple[str, ...]
    shown: str


def workload_for(command: list[str]) -> Workload:
    """The workload for `-- COMMAND ...` (empty: the project's tests). A leading `python`
    means the project's interpreter; `pytest` means `python -m pytest`."""
    if not command:
        return Workload("module", "pytest", TESTS[2:], "python " + " ".join(TESTS))
    shown = " ".join(command)
    first = PurePosixPath(command[0]).name
    rest = command[1:]
    if first in ("pytest", "py.test"):
        return Workload("module", "pytest", tuple(rest), shown)
    if _PYTHON.match(first):
        if rest[:1] == ["-m"] and len(rest) >= 2:
            return Workload("module", rest[1], tuple(rest[2:]), shown)
        if rest and not rest[0].startswith("-"):
            return Workload("script", rest[0], tuple(rest[1:]), shown)
        raise UsageError(
            f"hotspots cannot profile `{shown}`: give `python SCRIPT ...` or "
            "`python -m MODULE ...` (no other interpreter options)"
        )
    # Anything else is a native program (a C/C++ project's benchmark): perf profiles it.
    return Workload("native", command[0], tuple(rest), shown)


@dataclass(frozen=True)
class Hotspot:
    function: str  # FILE:QUALNAME, as `lessonl optimize` accepts it
    file: str
    line: int
    own_s: float
    inclusive_s: float
    calls: int | None  # None: perf samples a native workload, it cannot count calls
    share: float
    optimizable: bool
    why_not: str | None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "function": self.function,
            "file": self.file,
            "line": self.line,
            "own_s": self.own_s,
            "inclusive_s": self.inclusive_s,
            "calls": self.calls,
            "share": self.share,
            "optimizable": self.optimizable,
        }
        if not self.optimizable:
            out["why_not"] = self.why_not
        return out


@dataclass(frozen=True)
class Profile:
    workload: Workload
    total_s: float
    hotspots: list[Hotspot]
    commit: str | None
    timestamp: str
    interpreter: Interpreter | None  # None for a native workload


def in_project(rel: str) -> bool:
    """Whether a file (relative to the project root) is the project's own code: not its tests,
    not a virtualenv or installed package inside it."""
    path = PurePosixPath(rel)
    if path.suffix != ".py" or rel.startswith("../") or path.is_absolute():
        return False
    if any(p in _OUTSIDE or p in _TEST_FOLDERS for p in path.parts[:-1]):
        return False
    name = path.name
    return not (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py")


@dataclass(frozen=True)
class _Def:
    qualname: str
    why_not: str | None


#: A class statement's body runs once, as a code object named after the class: not a function.
_CLASS_BODY = "a class body"


def _definitions(source: str) -> dict[tuple[str, int], _Def]:
    """(name, first line) -> qualified name and why it cannot be optimized (None: it can).
    cProfile names a function by its code object's name and first line, which is the first
    decorator's line for a decorated function: both lines are keys."""
    tree = ast.parse(source)
    found: dict[tuple[str, int], _Def] = {}

    def visit(body: list[ast.AST], scope: list[str], in_function: bool) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                qual = ".".join([*scope, node.name])
                why = _CLASS_BODY if isinstance(node, ast.ClassDef) else _why_not(source, qual)
                lines = {node.lineno, *(d.lineno for d in node.decorator_list)}
                for line in lines:
                    found[(node.name, line)] = _Def(qual, why)
                inner = in_function or not isinstance(node, ast.ClassDef)
                visit(list(ast.iter_child_nodes(node)), [*scope, node.name], inner)
            elif isinstance(node, ast.Lambda):
                qual = ".".join([*scope, "<lambda>"])
                found[("<lambda>", node.lineno)] = _Def(qual, "a lambda; not supported")
                visit(list(ast.iter_child_nodes(node)), scope, in_function)
            else:
                visit(list(ast.iter_child_nodes(node)), scope, in_function)

    visit(list(tree.body), [], False)
    return found


def _why_not(source: str, qualname: str) -> str | None:
    """The automatic target's own rule (lessonl.auto.project.check_supported), so the list
    never calls optimizable what `lessonl optimize` would refuse."""
    try:
        check_supported(source, qualname)
    except UnsupportedFunction as exc:
        return str(exc)
    return None


def _relative(path: Path, tree: Path, root: Path | None) -> str | None:
    """`path` relative to the copy the workload ran in, else to the project itself (an
    editable install, e.g. a `src/` layout, imports the project from where it lives)."""
    for base in (tree, root):
        if base is None:
            continue
        try:
            rel = path.relative_to(base).as_posix()
        except ValueError:
            continue
        if rel.split("/", 1)[0] != STATE_DIR_NAME:
            return rel
    return None


def rank(profile_path: Path, tree: Path, root: Path | None = None) -> tuple[float, list[Hotspot]]:
    """The workload's total time and the project's functions, hottest (by inclusive time)
    first. `tree` is the folder the workload ran in, whose sources are the ones profiled;
    `root` the project itself, whose files an editable install may import instead."""
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, object]]
    stats = pstats.Stats(str(profile_path)).stats  # type: ignore[attr-defined]
    total = sum(tt for _cc, _nc, tt, _ct, _callers in stats.values())
    tree = tree.resolve()
    root = root.resolve() if root is not None else None
    sources: dict[str, dict[tuple[str, int], _Def] | None] = {}
    found: list[Hotspot] = []
    for (filename, line, name), (_cc, nc, tt, ct, _callers) in stats.items():
        if filename.startswith(("<", "~")) or (name.startswith("<") and name != "<lambda>"):
            continue  # builtins, module bodies, comprehensions (counted in their callers)
        path = Path(filename)
        path = (tree / path if not path.is_absolute() else path).resolve()
        rel = _relative(path, tree, root)
        if rel is None:
            continue  # the standard library, the interpreter's packages
        if not in_project(rel):
            continue
        if rel not in sources:
            try:
                sources[rel] = _definitions(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
                sources[rel] = None
        definition = (sources[rel] or {}).get((name, line))
        if definition is not None and definition.why_not == _CLASS_BODY:
            continue
        why: str | None
        if definition is None:
            qual, why = name, "not found in the source (defined dynamically, or the file changed)"
        else:
            qual, why = definition.qualname, definition.why_not
        found.append(
            Hotspot(
                function=f"{rel}:{qual}",
                file=rel,
                line=line,
                own_s=tt,
                inclusive_s=ct,
                calls=nc,
                share=min(1.0, ct / total) if total > 0 else 0.0,
                optimizable=why is None,
                why_not=why,
            )
        )
    found.sort(key=lambda h: (-h.inclusive_s, h.function))
    return total, found


def git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def _tail(result: CommandResult) -> str:
    text = (result.stderr.strip() or result.stdout.strip()).splitlines()
    return " ".join(" ".join(text[-3:]).split())[-400:]


def _check_workload(
    result: CommandResult, workload: Workload, interpreter: Interpreter, out: Path, timeout_s: float
) -> None:
    """Raise `WorkloadFailed` when the profiled workload hung, lacks pytest, or failed."""
    if result.timed_out:
        raise WorkloadFailed(
            f"`{workload.shown}` did not finish within {timeout_s:g} s; profile a shorter "
            "workload (-- python SCRIPT) or raise --timeout-s"
        )
    if workload.target == "pytest" and "No module named pytest" in result.stderr:
        raise WorkloadFailed(
            f"pytest is not installed in {interpreter.path} ({interpreter.source}): run "
            f"`{interpreter.path} -m pip install pytest`, or set [run] interpreter"
        )
    if result.returncode != 0 or not out.is_file():
        status = (
            f"exit status {result.returncode}"
            if result.returncode is not None
            else f"signal {result.signal}"
        )
        raise WorkloadFailed(
            f"`{workload.shown}` fails on the original code ({status}): {_tail(result)}; "
            "fix it first (hotspots ranks a workload that succeeds)"
        )


async def profile(
    root: Path,
    interpreter: Interpreter,
    workload: Workload,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    secret_names: Sequence[str] = (),
) -> Profile:
    """Profile `workload` in a private copy of the project and rank the project's functions;
    keep the result under `.lessonl/hotspots/`. Raises `WorkloadFailed` (fails or hangs on
    the original) and `NoProjectFunctions`."""
    state = StateDir(root).ensure()
    folder = state.path / "hotspots"
    work = folder / "work"
    tree = work / "tree"
    out = work / "profile.prof"
    # The copy runs in a thread that a cancel cannot stop: `finally` waits for it before
    # removing the folder, or a cancelled profile left `work/` behind, half copied.
    copying = asyncio.ensure_future(asyncio.to_thread(_fresh_copy, root, work))
    env = private_env(work, secret_names)
    limits = Limits(wall_s=timeout_s, cpu_s=timeout_s, memory_mb=4096, file_size_mb=512)
    argv = [
        interpreter.path,
        "-c",
        PROFILE,
        str(out),
        workload.kind,
        workload.target,
        *workload.args,
    ]
    try:
        await asyncio.shield(copying)
        result = await run_command(argv, cwd=tree, env=env, limits=limits)
        _check_workload(result, workload, interpreter, out, timeout_s)
        total, hotspots = await asyncio.to_thread(rank, out, tree, root)
        if not hotspots:
            raise NoProjectFunctions(
                f"`{workload.shown}` ran none of the project's functions (outside its tests); "
                "name a workload that does: lessonl hotspots -- python SCRIPT"
            )
        result_profile = Profile(
            workload=workload,
            total_s=total,
            hotspots=hotspots,
            commit=git_commit(root),
            timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
            interpreter=interpreter,
        )
        os.replace(out, folder / "latest.prof")
        data = kept(result_profile)
        stamp(data, tree)  # the text that was profiled: the editor's lens shows only while it holds
        write_text(folder / "latest.json", json.dumps(data, indent=2) + "\n")
    except OSError as exc:
        from lessonl.state import state_problem

        raise state_problem(exc, folder, "write the profile in") from exc
    finally:
        if not copying.done():
            with contextlib.suppress(BaseException):
                await copying
        await asyncio.to_thread(shutil.rmtree, work, True)
    return result_profile


def kept(result: Profile) -> dict[str, Any]:
    """What `.lessonl/hotspots/latest.json` holds: the ranking with its provenance."""
    return {
        "command": result.workload.shown,
        "commit": result.commit,
        "timestamp": result.timestamp,
        "interpreter": result.interpreter.path if result.interpreter else None,
        "total_s": result.total_s,
        "functions": [h.to_json() for h in result.hotspots],
    }


def _fresh_copy(root: Path, work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
    populate(root, work / "tree", project_files(root))
    (work / "home" / "tmp").mkdir(parents=True, exist_ok=True)


def _ranked_native(config: Config, sampled: list[native.Sampled], total: float) -> list[Hotspot]:
    """perf's project functions as hotspots, hottest first; `why_not` is the target rule's."""
    hotspots = []
    for s in sampled:
        why = native.why_not(config, s.file, s.function.split(":", 1)[1])
        hotspots.append(
            Hotspot(
                function=s.function,
                file=s.file,
                line=s.line,
                own_s=s.own_s,
                inclusive_s=s.inclusive_s,
                calls=None,
                share=min(1.0, s.inclusive_s / total) if total > 0 else 0.0,
                optimizable=why is None,
                why_not=why,
            )
        )
    hotspots.sort(key=lambda h: (-h.inclusive_s, h.function))
    return hotspots


async def profile_native(
    config: Config,
    workload: Workload,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    secret_names: Sequence[str] = (),
) -> Profile:
    """Profile a native workload (a C/C++ project's program) with perf in the project and rank
    the project's functions (lessonl.native_hotspots); keep the result as `profile` does.
    Raises `PerfUnavailable`, `WorkloadFailed` and `NoProjectFunctions`."""
    root = config.root.resolve()
    state = StateDir(root).ensure()
    folder = state.path / "hotspots"
    work = folder / "work"
    env = scrub_env(os.environ, secret_names)  # the user's command, without credentials
    started = time.time()
    try:
        result, script = await native.record(
            root, [workload.target, *workload.args], work, timeout_s=timeout_s, env=env
        )
        if result.timed_out:
            raise WorkloadFailed(
                f"`{workload.shown}` did not finish within {timeout_s:g} s; profile a shorter "
                "workload or raise --timeout-s"
            )
        if result.returncode != 0:
            status = (
                f"exit status {result.returncode}"
                if result.returncode is not None
                else f"signal {result.signal}"
            )
            raise WorkloadFailed(
                f"`{workload.shown}` fails ({status}): {_tail(result)}; fix it first "
                "(hotspots ranks a workload that succeeds)"
            )
        total, symbols = native.parse_script(script)
        sampled, undebugged = await native.map_to_source(root, symbols)
        if not sampled:
            hint = (
                f"{', '.join(undebugged)} has no line information: rebuild with "
                "-g -fno-omit-frame-pointer"
                if undebugged
                else "no sample fell in a binary built from the project's sources (is the "
                "program built from this project, with -g?)"
            )
            raise NoProjectFunctions(
                f"`{workload.shown}` ran none of the project's functions: {hint}"
            )
        result_profile = Profile(
            workload=workload,
            total_s=total,
            hotspots=_ranked_native(config, sampled, total),
            commit=git_commit(root),
            timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
            interpreter=None,
        )
        data = kept(result_profile)
        # Profiled in place: a file saved since the profile began gets no hash (and no lens).
        stamp(data, root, unchanged_since=started)
        write_text(folder / "latest.json", json.dumps(data, indent=2) + "\n")
        (folder / "latest.prof").unlink(missing_ok=True)  # a Python profile no longer current
    except OSError as exc:
        from lessonl.state import state_problem

        raise state_problem(exc, folder, "write the profile in") from exc
    finally:
        await asyncio.to_thread(shutil.rmtree, work, True)
    return result_profile
