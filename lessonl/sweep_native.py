"""The end-to-end check of a C/C++ sweep: where the workload's program is in a private copy, how
the copy is built, and how many of the project's tests passed there.

Why it is built this way:

* A native workload (`lessonl sweep -- ./build/bench 15000`) runs a program the user built. A
  copy of the project holds the sources, not that build, so each copy (the original, and every
  winner applied) is built with the project's own build as `lessonl.native.build.discover`
  finds it and `lessonl.native.tests.find` writes its commands (`Gate.build`: CMake, Meson or
  the Makefile), in a folder of its own next to the copy: both copies are built the same way,
  so the comparison is fair whatever flags the user's own build had.
* The program is then mapped into the copy: a program inside a CMake build folder (a
  `CMakeCache.txt` above it) or a Meson one (`meson-private/` above it) is the same path below
  the copy's build folder; with a Makefile the program is built in the tree, at the same path
  in the copy. A program outside the project (an absolute path elsewhere, a name found on
  PATH), or in no build folder the copy reproduces, cannot be mapped: the check is skipped and
  says why, and nothing else skips it.
* The tests are the gate's (`ctest`, `meson test`, `make test`/`make check`) run in the
  copy with the winners; ctest and meson print counts, make does not (its one verdict counts
  as one test, and the note says so). A project without tests the gate knows is timed but not
  tested, and `--apply` then refuses, as for a Python project whose tests cannot run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lessonl.errors import UsageError
from lessonl.native import build as builds
from lessonl.native import tests

_CTEST = re.compile(r"(\d+)% tests passed,\s+(\d+) tests? failed out of (\d+)")
_MESON = re.compile(r"^(Ok|Expected Fail|Fail|Unexpected Pass|Timeout|Skipped):\s+(\d+)\s*$", re.M)


class Unmappable(Exception):
    """The workload's program cannot be found or rebuilt in a copy; the message says why."""


@dataclass(frozen=True)
class NativePlan:
    """How each copy is built and where the workload's program is in it (`{root}`: the copy,
    `{build}`: its build folder, as in `Gate`'s commands)."""

    kind: str  # "cmake" | "meson" | "make"
    build: str
    program: str  # the program's path in a copy, with `{root}`/`{build}`
    test: str | None  # the gate's test command; None: the project has no tests we can run
    exclude: tuple[str, ...]  # the user's own build folder: never copied
    tests_note: str  # why the tests are not run, when `test` is None


def _kind(root: Path) -> str | None:
    """The build `lessonl.native.tests.find` writes commands for, in its order."""
    if (root / "CMakeLists.txt").is_file():
        return "cmake"
    if (root / "meson.build").is_file():
        return "meson"
    if (root / "Makefile").is_file() or (root / "makefile").is_file():
        return "make"
    return None


def program_in_project(root: Path, program: str) -> str:
    """The workload's program relative to the project root, or `Unmappable`."""
    if "/" not in program:
        raise Unmappable(
            f"the workload's program `{program}` is found on PATH, not built in the project, so "
            "a copy of the project cannot run the winners' build of it"
        )
    path = Path(os.path.normpath(root / program))  # an absolute `program` replaces `root`
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        pass
    try:  # through a symlink (e.g. /tmp -> /private/tmp)
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise Unmappable(
            f"the workload's program `{program}` is outside the project ({root}), so a copy of "
            "the project cannot rebuild it: run the sweep with the program's path inside the "
            "project (e.g. `-- ./build/bench ...`)"
        ) from None


def _build_folder(root: Path, rel: str, marker: str) -> str | None:
    """The folder above the program (inside the project) that holds `marker`."""
    folder = (root / rel).parent
    while folder != root and root in folder.parents:
        if (folder / marker).exists():
            return folder.relative_to(root).as_posix()
        folder = folder.parent
    return None


def plan(
    root: Path,
    program: str,
    swept_file: str,
    say: Callable[[str], None],
    configure_args: tuple[str, ...] = (),
) -> NativePlan:
    """How to build a copy and run the workload's program in it, or `Unmappable` (blocking:
    it configures the project's private build folder to list its tests)."""
    rel = program_in_project(root, program)
    kind = _kind(root)
    if kind is None:
        raise Unmappable(
            f"the project has no CMakeLists.txt, meson.build or Makefile, so a copy cannot "
            f"rebuild `{program}`"
        )
    exclude: tuple[str, ...] = ()
    if kind == "make":
        where = "{root}/" + rel
    else:
        marker = "CMakeCache.txt" if kind == "cmake" else "meson-private"
        folder = _build_folder(root, rel, marker)
        if folder is None:
            raise Unmappable(
                f"`{program}` is in no {'CMake' if kind == 'cmake' else 'Meson'} build folder "
                f"of the project (no {marker} above it), so its place in a copy's build is "
                "unknown: build it in a folder of the project (e.g. build/) and sweep "
                f"`-- ./build/{Path(rel).name} ...`"
            )
        exclude = (folder,)
        where = "{build}/project/" + Path(rel).relative_to(folder).as_posix()
    try:
        found = builds.discover(root, swept_file, say, configure_args=configure_args)
    except UsageError as exc:
        raise Unmappable(f"the project's build cannot be read ({exc})") from None
    notes: list[str] = []
    gate = tests.find(root, found, notes, say, configure_args)
    if gate is not None:
        return NativePlan(kind, gate.build, where, gate.test, exclude, "")
    why = notes[0] if notes else "the project has no tests lessonl can run (ctest, meson, make)"
    build = tests.project_build(kind, configure_args)  # the gate's, which needs tests to exist
    return NativePlan(kind, build, where, None, exclude, why)


def test_counts(kind: str, output: str, returncode: int | None) -> tuple[int, int, str]:
    """(passed, failed, note) from the test command's output and exit status."""
    if kind == "cmake":
        found = _CTEST.findall(output)
        if found:
            _pct, failed, total = found[-1]
            return int(total) - int(failed), int(failed), ""
    elif kind == "meson":
        counts = {name: int(n) for name, n in _MESON.findall(output)}
        if counts:
            passed = counts.get("Ok", 0) + counts.get("Expected Fail", 0)
            failed = counts.get("Fail", 0) + counts.get("Unexpected Pass", 0)
            return passed, failed + counts.get("Timeout", 0), ""
    elif returncode == 0:
        return 1, 0, "make does not count its tests: its one verdict counts as one test"
    # No summary: the suite crashed, timed out, or make's test target failed.
    return 0, 1, "the tests failed without a summary" if kind != "make" else ""
