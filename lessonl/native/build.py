"""How a C or C++ project builds: the compiler and flags of the translation unit of a function.

Looked for in this order, and the first found is used (`Build.how` says which):

1. `compile_commands.json` at the project root or in one of its direct sub-folders (a build
   folder the user already configured);
2. `CMakeLists.txt`: configured once, with `CMAKE_EXPORT_COMPILE_COMMANDS=ON` and the Release
   build type, in a private folder `.lessonl/native/cmake-<hash>/` that later runs reuse (the
   user's own build folders are never touched);
3. a `Makefile`: with `bear` installed, `bear -- make -B` builds a private copy of the project
   (`.lessonl/native/make-<hash>/`; the user's tree is never built into) and records every
   compile; without it, or when that build fails, `make -n -B -w` (a dry run: it prints every
   compile command and runs none) is parsed for the compile lines. `Build.how` says which.

4. `meson.build`: set up once with `--buildtype=release` in `.lessonl/native/meson-<hash>/`,
   which writes compile_commands.json.

From the chosen command we keep what shapes the code (`-I`,
`-D`, `-std`, `-O`, `-f`, `-m`, ...) and drop what belongs to that one compile (`-c`, `-o`,
the source, dependency-file options, `-Werror`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lessonl.errors import UsageError
from lessonl.harness.workspace import populate, project_files
from lessonl.state import StateDir

#: Options followed by a separate argument that we keep (a path or a value).
_KEEP_WITH_ARG = ("-I", "-isystem", "-iquote", "-idirafter", "-include", "-D", "-U", "-imacros")
#: Options followed by a separate argument that we drop with it.
_DROP_WITH_ARG = ("-o", "-MF", "-MT", "-MQ")
_DROP = ("-c", "-MD", "-MMD", "-MP", "-M", "-MM", "-Werror", "-pipe")
_SOURCE = re.compile(r"\.(c|cc|cpp|cxx|c\+\+|C)$")
_COMPILERS = re.compile(r"(^|/)(cc|gcc|g\+\+|c\+\+|clang|clang\+\+)(-[0-9.]+)?$")
CONFIGURE_TIMEOUT_S = 300.0
_DIRECTORY = re.compile(r"^make(?:\[\d+\])?: (Entering|Leaving) directory ['`\"](.+)['\"]")


@dataclass(frozen=True)
class Build:
    """The compile of the function's translation unit, and how we found it."""

    kind: str  # "compile_commands.json" | "cmake" | "meson" | "make"
    compiler: str
    flags: tuple[str, ...]  # paths absolute
    unit: Path  # the translation unit whose flags these are
    how: str  # one line for the user: where the flags came from
    cmake_dir: Path | None = None  # the private configured folder (CMake)
    meson_dir: Path | None = None  # the same for Meson


@dataclass(frozen=True)
class _Entry:
    directory: Path
    argv: list[str]
    file: Path


def recognized(root: Path) -> bool:
    """Whether `discover` has a build system to read here (cheap: nothing is configured), so
    a hotspot listing can say "optimizable" only where a run would find how to build."""
    files = ("CMakeLists.txt", "meson.build", "Makefile", "makefile")
    return _compile_commands(root) is not None or any((root / f).is_file() for f in files)


def discover(
    root: Path,
    rel: str,
    say: Callable[[str], None] | None = None,
    *,
    bear: bool | None = None,
    configure_args: tuple[str, ...] = (),
) -> Build:
    """The project's compile of `rel` (a source or header file), or `UsageError` naming what
    was looked for and the `[[targets]]` entry to write instead. `bear`: whether to use bear
    for a Makefile (default: when installed); `configure_args`: `[run] configure_args`."""
    tell = say or (lambda _line: None)
    found = _compile_commands(root)
    if found is not None:
        path, entries = found
        return _choose(root, rel, entries, "compile_commands.json", f"{_rel(path, root)}")
    if (root / "CMakeLists.txt").is_file():
        folder = configure_cmake(root, tell, configure_args)
        path = folder / "compile_commands.json"
        if not path.is_file():
            raise UsageError(
                f"CMake configured {_rel(folder, root)} but wrote no compile_commands.json "
                "(is the project C or C++?); write a [[targets]] entry (see the README)"
            )
        entries = _read_entries(path)
        build = _choose(root, rel, entries, "cmake", "CMake (configured in a private folder)")
        return dataclasses.replace(build, cmake_dir=folder)
    if (root / "meson.build").is_file():
        folder = configure_meson(root, tell, configure_args)
        entries = _read_entries(folder / "compile_commands.json")
        build = _choose(root, rel, entries, "meson", "Meson (set up in a private folder)")
        return dataclasses.replace(build, meson_dir=folder)
    if (root / "Makefile").is_file() or (root / "makefile").is_file():
        installed = shutil.which("bear") is not None
        use_bear = installed if bear is None else bear
        why = "" if use_bear else "bear is not installed" if not installed else "bear not used"
        if use_bear:
            traced = _bear(root, tell)
            if isinstance(traced, list):
                where = "the Makefile (`bear -- make -B` in a private copy)"
                return _choose(root, rel, traced, "make", where)
            why = traced
        entries = _make_dry_run(root)
        where = f"the Makefile (`make -n -B`, a dry run; {why})"
        return _choose(root, rel, entries, "make", where)
    raise no_build_system(root, rel)


def no_build_system(root: Path, rel: str) -> UsageError:
    """The one-line error for a C/C++ project `discover` cannot read (also raised by
    `lessonl.run.plan`, before any model call, when `recognized` is false)."""
    return UsageError(
        f"no build system found in {root} (looked for compile_commands.json, CMakeLists.txt, "
        "meson.build and a Makefile): write a [[targets]] entry with files, build, test and "
        f"bench for {rel} (see the README's Configuration section)",
        data={"file": rel, "needs": "build-or-target"},
    )


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _compile_commands(root: Path) -> tuple[Path, list[_Entry]] | None:
    candidates = [root / "compile_commands.json"]
    candidates += sorted(
        p for p in root.glob("*/compile_commands.json") if p.parent.name not in (".lessonl", ".git")
    )
    for path in candidates:
        if path.is_file():
            return path, _read_entries(path)
    return None


def _read_entries(path: Path) -> list[_Entry]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable compile_commands.json ({exc})") from None
    if not isinstance(data, list):
        raise UsageError(f"{path}: expected a JSON list of compile commands")
    out = []
    for item in data:
        if not isinstance(item, dict) or "file" not in item or "directory" not in item:
            continue
        argv = item.get("arguments") or shlex.split(str(item.get("command", "")))
        if not argv:
            continue
        # A relative directory (a hand-written file) is relative to the file's folder.
        directory = path.parent / str(item["directory"])
        out.append(_Entry(directory, [str(a) for a in argv], (directory / item["file"]).resolve()))
    return out


def private_folder(root: Path, kind: str, args: tuple[str, ...] = ()) -> Path:
    """`.lessonl/native/<kind>-<hash of the root and the configure arguments>/`: one per
    project and `[run] configure_args`, reused between runs."""
    key = "\0".join([str(root.resolve()), *args])
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return StateDir(root).path / "native" / f"{kind}-{digest}"


#: What a failed or slow configure step says to do about it.
_OPTIONS_HINT = (
    "if it needs options, give them in lessonl.toml as `[run] configure_args = "
    '["-DOPTION=VALUE"]`, or configure the project yourself into build/ with '
    "compile_commands.json (lessonl then reads it)"
)


def configure_cmake(root: Path, tell: Callable[[str], None], args: tuple[str, ...] = ()) -> Path:
    """Configure (or re-configure: cheap when nothing changed) the private CMake folder, with
    `[run] configure_args`."""
    if shutil.which("cmake") is None:
        raise UsageError("the project uses CMake but cmake is not installed: apt-get install cmake")
    folder = private_folder(root, "cmake", args)
    StateDir(root).ensure()
    folder.mkdir(parents=True, exist_ok=True)
    fresh = not (folder / "CMakeCache.txt").is_file()
    tell(f"{'configuring' if fresh else 'reusing'} CMake in {_rel(folder, root)}")
    argv = [
        "cmake",
        "-S",
        str(root),
        "-B",
        str(folder),
        "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
        "-DCMAKE_BUILD_TYPE=Release",
        *args,
    ]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=CONFIGURE_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise UsageError(
            f"CMake's configure step took over {CONFIGURE_TIMEOUT_S:g} s; configure the "
            "project yourself with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON (lessonl then reads "
            "build/compile_commands.json)"
        ) from None
    if done.returncode != 0:
        raise UsageError(
            f"CMake's configure step failed: {first_error_line(_output(done))}; {_OPTIONS_HINT}"
        )
    return folder


def configure_meson(root: Path, tell: Callable[[str], None], args: tuple[str, ...] = ()) -> Path:
    """Set up (once; later runs reuse it) a private Meson build folder, which writes
    compile_commands.json itself, with `[run] configure_args`."""
    if shutil.which("meson") is None:
        raise UsageError("the project uses Meson but meson is not installed: apt-get install meson")
    folder = private_folder(root, "meson", args)
    StateDir(root).ensure()
    if (folder / "compile_commands.json").is_file():
        tell(f"reusing Meson's set-up in {_rel(folder, root)}")
        return folder
    if folder.exists():
        shutil.rmtree(folder)  # a set-up that failed half-way
    tell(f"setting up Meson in {_rel(folder, root)}")
    argv = ["meson", "setup", str(folder), str(root), "--buildtype=release", *args]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=CONFIGURE_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise UsageError(
            f"Meson's set-up took over {CONFIGURE_TIMEOUT_S:g} s; set the project up yourself "
            "in build/ (lessonl then reads build/compile_commands.json)"
        ) from None
    if done.returncode != 0:
        raise UsageError(
            f"Meson's set-up failed: {first_error_line(_output(done))}; {_OPTIONS_HINT}"
        )
    return folder


def _output(done: subprocess.CompletedProcess[str]) -> str:
    """stderr first: tools print their error there and their progress on stdout."""
    return done.stderr + "\n" + done.stdout


def first_error_line(text: str) -> str:
    """A tool's first error on one line (with the line after it, where compilers put the
    detail), else its last line: what a one-line message quotes."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if "error" in line.lower():
            return " ".join(lines[i : i + 2])[:300]
    return (lines[-1] if lines else "no output")[:300]


def _bear(root: Path, tell: Callable[[str], None]) -> list[_Entry] | str:
    """The compile commands bear records while `make -B` builds a private copy of the project
    (the user's tree is never built into), mapped back to the project; or why not."""
    folder = private_folder(root, "make")
    tree = folder / "tree"
    if folder.exists():
        shutil.rmtree(folder)
    StateDir(root).ensure()
    populate(root, tree, project_files(root))
    out = folder / "compile_commands.json"
    tell(f"building a copy of the project under bear in {_rel(folder, root)}")
    try:
        done = subprocess.run(
            ["bear", "--output", str(out), "--", "make", "-B"],
            cwd=tree,
            capture_output=True,
            text=True,
            timeout=CONFIGURE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bear could not build the project: {exc}"
    if done.returncode != 0 or not out.is_file():
        return f"the build under bear failed: {first_error_line(_output(done))}"
    text = out.read_text(encoding="utf-8").replace(str(tree.resolve()), str(root.resolve()))
    out.write_text(text.replace(str(tree), str(root.resolve())), encoding="utf-8")
    shutil.rmtree(tree, ignore_errors=True)
    return _read_entries(out)


def _make_dry_run(root: Path) -> list[_Entry]:
    if shutil.which("make") is None:
        raise UsageError(
            "the project has a Makefile but make is not installed: apt-get install make"
        )
    try:
        done = subprocess.run(
            ["make", "-n", "-B", "-w"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UsageError("`make -n -B` did not finish within 60 s") from None
    if done.returncode != 0:
        raise UsageError(f"`make -n -B` failed: {first_error_line(_output(done))}")
    entries = []
    folders = [root]  # `-w` prints where each (recursive) make runs: paths are relative to it
    for line in done.stdout.splitlines():
        moved = _DIRECTORY.search(line)
        if moved:
            if moved.group(1) == "Entering":
                folders.append(Path(moved.group(2)))
            elif len(folders) > 1:
                folders.pop()
            continue
        try:
            argv = shlex.split(line)
        except ValueError:
            continue
        if not argv or not _COMPILERS.search(argv[0]) or "-c" not in argv:
            continue
        sources = [a for a in argv[1:] if _SOURCE.search(a) and not a.startswith("-")]
        if sources:
            here = folders[-1]
            entries.append(_Entry(here, argv, (here / sources[0]).resolve()))
    return entries


def _includes(unit: Path, header: Path) -> bool:
    try:
        text = unit.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    pattern = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)
    return any(Path(inc).name == header.name for inc in pattern.findall(text))


def _choose(root: Path, rel: str, entries: list[_Entry], kind: str, where: str) -> Build:
    """The entry compiling `rel` itself, else one that #includes it (a header)."""
    target = (root / rel).resolve()
    if not entries:
        raise UsageError(f"{where} lists no compile commands; build the project once first")
    entry = next((e for e in entries if e.file == target), None)
    if entry is None and not _SOURCE.search(rel):
        entry = next((e for e in entries if _includes(e.file, target)), None)
    if entry is None:
        raise UsageError(
            f"{where} compiles no translation unit that "
            f"{'is' if _SOURCE.search(rel) else 'includes'} {rel}; write a [[targets]] entry "
            "for it (see the README's Configuration section)"
        )
    compiler, flags = split_command(entry.argv, entry.directory, entry.file)
    unit = _rel(entry.file, root)
    how = f"the flags of {unit} from {where}"
    return Build(kind, compiler, tuple(flags), entry.file, how)


def split_command(argv: list[str], directory: Path, source: Path) -> tuple[str, list[str]]:
    """(compiler, flags that shape the code), with relative include paths made absolute."""
    compiler = argv[0]
    if "/" in compiler and not compiler.startswith("/"):
        compiler = str((directory / compiler).resolve())
    flags: list[str] = []
    words = argv[1:]
    i = 0
    while i < len(words):
        word = words[i]
        if word in _DROP_WITH_ARG:
            i += 2
            continue
        if word in _DROP or word.startswith(("-Werror", "-o", "-MF", "-MT", "-MQ")):
            i += 1  # joined forms (-ofile) too
            continue
        if word in _KEEP_WITH_ARG and i + 1 < len(words):
            flags += [word, _absolute(word, words[i + 1], directory)]
            i += 2
            continue
        joined = next((o for o in ("-I", "-isystem", "-iquote") if word.startswith(o)), None)
        if joined is not None and len(word) > len(joined):
            flags.append(joined + _absolute(joined, word[len(joined) :], directory))
        elif word.startswith("-"):
            flags.append(word)
        elif (directory / word).resolve() != source:
            flags.append(word)  # e.g. a value the compile needs; the source itself is dropped
        i += 1
    return compiler, flags


def _absolute(option: str, value: str, directory: Path) -> str:
    if option in ("-D", "-U"):
        return value
    return str((directory / value).resolve())
