"""The project's own tests as a gate every variant must pass.

CMake: the tests `ctest` lists in the configured folder. The project is configured (with
Ninja where installed) and built in `{build}/project` (CMake's build folders hold absolute
source paths, so the private discovery folder cannot serve a copy), then `ctest` runs. Meson:
the tests `meson test --list` lists, the same way. The original does this once; with the
sandbox on, every variant's `{build}/project` then starts as the original's copy,
modification times kept (the target's `reuse_build`, see the harness), and since each
variant's commands see its copy at the same fixed path, the configure step is skipped (the
folder is already configured: `CMakeCache.txt`, `build.ninja`) and make or ninja rebuild only
the translation units the variant's change reaches, headers included. With the sandbox off
each variant configures and builds its own folder from scratch, as the command does when the
folder is missing. A Makefile: `make test` or `make check`, whichever target it has, after
`make` in the copy, from scratch: its outputs live in the tree, and a hand-written Makefile
often lists no header dependencies, so the original's objects could pass for a variant's.
None of them can tell which tests reach the function's file, so all of them run, within the
target's timeout.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lessonl.errors import UsageError
from lessonl.native.build import Build, configure_cmake, configure_meson


@dataclass(frozen=True)
class Gate:
    build: str  # the command that builds the project in a variant's copy
    test: str  # the command that runs its tests there
    how: str  # one line: which tests, and that all of them run
    reuse: tuple[str, ...] = ()  # folders under {build} the variants take from the original


def find(
    root: Path,
    build: Build,
    notes: list[str],
    tell: Callable[[str], None] | None = None,
    configure_args: tuple[str, ...] = (),
) -> Gate | None:
    """The project's test gate, or None when it has no tests we know how to run. When the
    flags came from a compile_commands.json of a CMake or Meson project, the project is still
    configured in the private folder to list its tests; if that fails, `notes` says why."""
    say = tell or (lambda _line: None)
    cmake_dir, meson_dir = build.cmake_dir, build.meson_dir
    try:
        if cmake_dir is None and (root / "CMakeLists.txt").is_file():
            cmake_dir = configure_cmake(root, say, configure_args)
        elif meson_dir is None and cmake_dir is None and (root / "meson.build").is_file():
            meson_dir = configure_meson(root, say, configure_args)
    except UsageError as exc:
        notes.append(f"the project's tests are not used: {exc}")
        return None
    if cmake_dir is not None:
        count = _ctest_count(cmake_dir)
        if count:
            return Gate(
                build=project_build("cmake", configure_args),
                test="ctest --test-dir {build}/project --output-on-failure",
                how=f"the project's {count} ctest test{'s' if count != 1 else ''} (all of "
                "them: ctest cannot tell which reach the function)",
                reuse=("project",),
            )
        return None
    if meson_dir is not None:
        count = _meson_count(meson_dir)
        if count:
            return Gate(
                build=project_build("meson", configure_args),
                test="meson test -C {build}/project --print-errorlogs",
                how=f"the project's {count} Meson test{'s' if count != 1 else ''} (all of "
                "them: meson cannot tell which reach the function)",
                reuse=("project",),
            )
        return None
    for name in ("Makefile", "makefile"):
        path = root / name
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            for goal in ("test", "check"):
                if re.search(rf"^{goal}\s*:", text, re.M):
                    return Gate(
                        build=project_build("make"),
                        test=f"make {goal}",
                        how=f"the Makefile's `make {goal}` (all of it: make cannot tell which "
                        "tests reach the function)",
                    )
    return None


def project_build(kind: str, configure_args: tuple[str, ...] = ()) -> str:
    """The command that builds the project in a copy (`kind`: "cmake", "meson" or "make"):
    the test gate's, and the sweep's end-to-end copies' (lessonl.sweep_native). CMake and
    Meson configure `{build}/project` unless it already is (a variant that starts from the
    original's folder), with `[run] configure_args`; a Makefile builds in the tree."""
    extra = "".join(" " + shlex.quote(a) for a in configure_args)
    if kind == "cmake":
        # Ninja where installed: it finds what a variant's change reaches in milliseconds
        # where CMake's Makefiles take a few tenths of a second even on a small project, and
        # builds the translation units a header reaches in parallel.
        ninja = " -G Ninja" if shutil.which("ninja") else ""
        return (
            "{ [ -f {build}/project/CMakeCache.txt ] || cmake -S {root} -B "
            f"{{build}}/project{ninja} -DCMAKE_BUILD_TYPE=Release{extra} > "
            "{build}/configure.log; } && cmake --build {build}/project"
        )
    if kind == "meson":
        return (
            "{ [ -f {build}/project/build.ninja ] || meson setup {build}/project {root} "
            f"--buildtype=release{extra} > "
            "{build}/configure.log; } && meson compile -C {build}/project"
        )
    return "make"


def build_notes(gate: Gate, *, sandboxed: bool) -> list[str]:
    """What the verification says about how each variant's project build is made: from the
    original's build (only what the change reaches), or from scratch without the sandbox."""
    if not gate.reuse:
        return []
    if sandboxed:
        return [
            "the project is configured and built once, by the original; each variant starts "
            "from a copy of that build folder and rebuilds only what its change reaches"
        ]
    return [
        "each variant configures and builds the whole project in its own folder: the sandbox "
        "is off, and reusing the original's build folder needs every variant at the same "
        "path, which only the sandbox gives"
    ]


def _ctest_count(folder: Path) -> int:
    try:
        done = subprocess.run(
            ["ctest", "-N", "--test-dir", str(folder)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return 0
    found = re.search(r"Total Tests:\s*(\d+)", done.stdout)
    return int(found.group(1)) if found else 0


def _meson_count(folder: Path) -> int:
    try:
        done = subprocess.run(
            ["meson", "test", "-C", str(folder), "--list", "--no-rebuild"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return 0
    if done.returncode != 0:
        return 0
    return len([line for line in done.stdout.splitlines() if line.strip()])
