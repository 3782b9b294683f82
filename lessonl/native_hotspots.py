"""Where a C/C++ project's time goes: `lessonl hotspots -- ./build/bench ...` runs a native
workload under Linux `perf` and ranks the project's functions like the Python ones.

Choices, and why:

* `perf record -e cpu-clock -g`. A software clock event: virtual machines (these included)
  often expose no hardware PMU, so `cycles` fails or silently falls back, while `cpu-clock`
  works wherever perf is permitted at all. Its sample period is in nanoseconds of CPU time,
  so own and inclusive times come out in seconds. `-g` walks frame pointers: own time is
  right for any build, inclusive time needs the callers' frames, so a project should be built
  with `-g -fno-omit-frame-pointer` (the listing says so when a project binary has no line
  information at all).
* The workload is the user's own command and runs where the user would run it (the project
  root): its build outputs live there, not in the tracked files a private copy would hold.
  perf's data file goes under `.lessonl/hotspots/` and is removed when read.
* Symbols are mapped to source with the binary's DWARF line table (`addr2line`, one batch
  per binary, on each sampled symbol's start address: `perf script` prints the address
  relative to the binary and the offset in its symbol), and the function is then named as
  `lessonl optimize FILE:FUNCTION` names it (lessonl.regions, tree-sitter): the definition
  whose line range holds that line. Functions of other binaries (libc, the kernel) and
  files outside the project or in its tests are left out of the ranking; a sample's time
  still counts in the inclusive time of every project function on its call chain.
* The program's `main` is the workload itself, as a Python script's module body is: it is
  left out of the ranking (its inclusive time is the whole run).
* perf cannot count calls: `calls` is None (null in JSON).
* A C/C++ function can be optimized through a `[[targets]]` entry whose files include its
  file (its build, test and bench commands), or by the automatic C/C++ target when that
  package is installed (lessonl.run.native_preparer, the run's own rule); without either,
  each function says which entry to write.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lessonl import regions
from lessonl.config import Config, language_for_path
from lessonl.errors import LessonLError, UsageError
from lessonl.harness.sandbox import CommandResult, Limits, run_command

#: perf's own complaint when the kernel forbids it (perf_event_paranoid, no CAP_PERFMON).
_NOT_PERMITTED = re.compile(
    r"perf_event_paranoid|Permission denied|Operation not permitted|"
    r"No permission",
    re.I,
)
_FRAME = re.compile(r"^\s*([0-9a-f]+)\s+(.*?)\+0x([0-9a-f]+)\s+\((.*)\)\s*$")
_SOURCE_SUFFIXES = frozenset({".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".hxx", ".inl"})
_TEST_FOLDERS = frozenset({"tests", "test", "testing"})

PERF_MISSING = (
    "perf is not installed: install it (Debian: apt-get install linux-perf; "
    "Ubuntu: apt-get install linux-tools-$(uname -r)) to profile a native workload"
)
PERF_NOT_PERMITTED = (
    "perf is not permitted to sample here: run `sudo sysctl kernel.perf_event_paranoid=1` "
    "(or run as root / with CAP_PERFMON) to profile a native workload"
)


class PerfUnavailable(LessonLError):
    """perf is missing, or the kernel does not let it sample: nothing to profile with."""

    exit_code = 1


@dataclass(frozen=True)
class Sampled:
    """One project function as perf saw it: seconds of CPU time, and where it is defined."""

    function: str
    file: str
    line: int
    own_s: float
    inclusive_s: float


def perf_command(out: Path, command: Sequence[str], root: Path, path: str | None) -> list[str]:
    """`perf record` of `command`; UsageError when the program is not there to run."""
    program = command[0]
    found = (
        os.access(root / program, os.X_OK) and (root / program).is_file()
        if "/" in program
        else shutil.which(program, path=path) is not None
    )
    if not found:
        raise UsageError(
            f"{program}: no such program (the workload runs in {root}; build it first, "
            "or give its path)"
        )
    perf = shutil.which("perf")
    if perf is None:
        raise PerfUnavailable(PERF_MISSING)
    return [perf, "record", "-e", "cpu-clock", "-g", "-q", "-o", str(out), "--", *command]


def refused(result: CommandResult) -> bool:
    """Whether perf itself was refused by the kernel (not the workload failing)."""
    return (
        result.returncode not in (0, None)
        and bool(_NOT_PERMITTED.search(result.stderr))
        and ("perf" in result.stderr or "paranoid" in result.stderr)
    )


def parse_script(text: str) -> tuple[float, dict[tuple[str, int], tuple[str, float, float]]]:
    """`perf script -F period,ip,sym,symoff,dso` output -> total seconds, and per sampled
    symbol (binary, start address) its name, own and inclusive seconds."""
    total = 0
    own: dict[tuple[str, int], int] = defaultdict(int)
    incl: dict[tuple[str, int], int] = defaultdict(int)
    names: dict[tuple[str, int], str] = {}

    def flush(period: int, frames: list[tuple[str, int]]) -> None:
        nonlocal total
        if period <= 0:
            return
        total += period
        if frames:
            own[frames[0]] += period
        for key in set(frames):
            incl[key] += period

    period = 0
    frames: list[tuple[str, int]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith("\t"):  # a sample's header (its period); frames are indented
            flush(period, frames)
            head = line.split()
            period = int(head[-1]) if head and head[-1].isdigit() else 0
            frames = []
            continue
        m = _FRAME.match(line)
        if m is None:
            frames.append(("", -1))  # unknown frame: keeps the leaf honest
            continue
        ip, sym, off, dso = int(m[1], 16), m[2], int(m[3], 16), m[4]
        key = (dso, ip - off)
        names.setdefault(key, sym)
        frames.append(key)
    flush(period, frames)
    seconds = {
        key: (names[key], own.get(key, 0) / 1e9, incl[key] / 1e9) for key in incl if key in names
    }
    return total / 1e9, seconds


def _inside(path: Path, root: Path) -> str | None:
    try:
        rel = path.resolve().relative_to(root)
    except (ValueError, OSError):
        return None
    return rel.as_posix()


def in_project(rel: str) -> bool:
    """A C/C++ source of the project, not of its tests or of LessonL's state folder."""
    path = PurePosixPath(rel)
    if path.suffix.lower() not in _SOURCE_SUFFIXES or rel.startswith(("../", ".lessonl/")):
        return False
    return not any(p in _TEST_FOLDERS for p in path.parts[:-1])


async def _lines(binary: str, addresses: list[int], cwd: Path) -> dict[int, tuple[str, int]]:
    """address -> (source path as DWARF names it, 1-based line), from one addr2line call."""
    exe = shutil.which("addr2line")
    if exe is None:
        raise PerfUnavailable(
            "addr2line is not installed: install binutils (apt-get install binutils) to map "
            "the profile to source lines"
        )
    # -a marks where each address's answer starts; -i lists the inline chain, innermost
    # first, whose last entry is the function's own file and line (a symbol's first
    # instruction is often code inlined from a header, e.g. a vector's begin()).
    proc = await asyncio.create_subprocess_exec(
        exe,
        "-a",
        "-i",
        "-e",
        binary,
        *(hex(a) for a in addresses),
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _err = await proc.communicate()
    found: dict[int, tuple[str, int]] = {}
    current: int | None = None
    for row in out.decode(errors="replace").splitlines():
        if row.startswith("0x"):
            current = int(row, 16)
            continue
        where = row.split(" (discriminator", 1)[0].strip()
        file, _, line = where.rpartition(":")
        if current is not None and file and file != "??" and line.isdigit() and int(line) > 0:
            found[current] = (file, int(line))  # the last of the chain wins
    return found


def _qualified(
    root: Path, rel: str, line: int, cache: dict[str, list[regions.FunctionInfo]]
) -> tuple[str, int] | None:
    """The name `lessonl optimize FILE:FUNCTION` uses for the definition holding `line`, and
    the definition's first line (1-based)."""
    if rel not in cache:
        language = language_for_path(rel)
        try:
            source = (root / rel).read_text(encoding="utf-8")
            cache[rel] = regions.list_functions(source, language) if language else []
        except (OSError, UnicodeDecodeError, LessonLError):
            cache[rel] = []
    holding = [f for f in cache[rel] if f.start_line <= line - 1 <= f.end_line]
    if not holding:
        return None
    inner = min(holding, key=lambda f: f.end_line - f.start_line)
    return inner.qualified_name, inner.start_line + 1


async def map_to_source(
    root: Path, symbols: dict[tuple[str, int], tuple[str, float, float]]
) -> tuple[list[Sampled], list[str]]:
    """The project's functions among the sampled symbols (merged per function: a symbol and
    its compiler clones are one function), and the project binaries that had no line
    information (built without -g)."""
    root = root.resolve()
    by_binary: dict[str, list[int]] = defaultdict(list)
    for dso, address in symbols:
        if dso.startswith("/") and _inside(Path(dso), root) is not None:
            by_binary[dso].append(address)
    merged: dict[str, Sampled] = {}
    undebugged: list[str] = []
    cache: dict[str, list[regions.FunctionInfo]] = {}
    for binary, addresses in sorted(by_binary.items()):
        if not os.path.isfile(binary):
            continue
        lines = await _lines(binary, sorted(addresses), root)
        if not lines:
            undebugged.append(_inside(Path(binary), root) or binary)
            continue
        for address, (file, line) in lines.items():
            path = Path(file) if os.path.isabs(file) else root / file
            rel = _inside(path, root)
            if rel is None or not in_project(rel):
                continue
            name, own_s, incl_s = symbols[(binary, address)]
            named = _qualified(root, rel, line, cache)
            qual, line = named if named is not None else (name.split("(", 1)[0], line)
            if qual == "main":
                continue
            key = f"{rel}:{qual}"
            before = merged.get(key)
            if before is not None:
                # A clone's inclusive samples may overlap the original's (one calls the
                # other): the larger is a lower bound that never double counts.
                own_s += before.own_s
                incl_s = max(incl_s, before.inclusive_s)
                line = min(line, before.line)
            merged[key] = Sampled(key, rel, line, own_s, incl_s)
    found = list(merged.values())
    return found, undebugged


def why_not(config: Config, rel: str, function: str | None = None) -> str | None:
    """None when a `[[targets]]` entry covers the file (optimize can use it), else what to
    write. With `function` (its qualified name), also what the automatic target refuses
    (a constructor, an operator, a private method: lessonl/native/reach.py)."""
    from lessonl.run import native_preparer

    if config.targets_for(config.root / rel):
        return None  # the run's own rule (lessonl.run.choose_target): it has a target
    if native_preparer() is not None:
        from lessonl.native.build import recognized

        if recognized(config.root):
            return None if function is None else _refused(config.root, rel, function)
        return (
            "no build system found (compile_commands.json, CMakeLists.txt, meson.build or a "
            f"Makefile) and no [[targets]] entry: add one to lessonl.toml whose files include "
            f"{rel} (with its build, test and bench commands)"
        )
    return (
        f"C/C++ needs a [[targets]] entry: add one to lessonl.toml whose files include {rel} "
        "(with its build, test and bench commands)"
    )


def _refused(root: Path, rel: str, function: str) -> str | None:
    """Why `lessonl optimize` would refuse the function (one line), or None."""
    from lessonl.native import reach

    try:
        reach.check_early(root, root / rel, function)
    except UsageError as exc:
        return str(exc)
    return None


async def record(
    root: Path,
    command: Sequence[str],
    folder: Path,
    *,
    timeout_s: float,
    env: dict[str, str],
) -> tuple[CommandResult, str]:
    """Run `command` in the project under `perf record` and return its result and
    `perf script`'s text (empty when there is no data)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "perf.data"
    argv = perf_command(data, command, root, env.get("PATH"))
    limits = Limits(wall_s=timeout_s, cpu_s=timeout_s, memory_mb=8192, file_size_mb=2048)
    try:
        result = await run_command(argv, cwd=root, env=env, limits=limits)
        if refused(result):
            raise PerfUnavailable(PERF_NOT_PERMITTED)
        if not data.is_file():
            return result, ""
        script = await run_command(
            [argv[0], "script", "-i", str(data), "-F", "period,ip,sym,symoff,dso"],
            cwd=root,
            env=env,
            limits=Limits(wall_s=timeout_s, cpu_s=timeout_s, memory_mb=8192, file_size_mb=512),
            output_limit=1 << 30,
        )
        return result, script.stdout
    finally:
        for leftover in (data, folder / "perf.data.old"):
            leftover.unlink(missing_ok=True)
