"""Which project files a variant's build directory gets, and making those copies.

A variant is built from a *copy* of the project, never in the user's tree: the user may be
editing, and generated code must not be able to leave anything behind there.

What is copied:
- in a git checkout, `git ls-files --cached --others --exclude-standard`: the tracked files plus
  untracked files that are not ignored, so a fresh user's uncommitted project works and build
  outputs (normally ignored) are not dragged along;
- otherwise every file except `.lessonl/`, `.git/` and common build-output folders;
- never the target's `exclude` globs (e.g. a benchmark's hidden reference solution).

The list is computed once per run (`project_files`) and each variant copy is then plain file
copies (`populate`), which costs a few milliseconds for projects of example size.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath

import psutil

from lessonl.errors import UsageError
from lessonl.state import STATE_DIR_NAME, kind_of, state_problem

# Folders never copied when the project is not a git checkout (there, .gitignore decides).
SKIP_DIRS = frozenset(
    {
        STATE_DIR_NAME,
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".venv",
        "venv",
        "node_modules",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "build",
        "dist",
        "cmake-build-debug",
        "cmake-build-release",
        ".eggs",
    }
)
SKIP_SUFFIXES = (".o", ".obj", ".a", ".so", ".pyc", ".gch")


def excluded(rel: str, patterns: Sequence[str]) -> bool:
    """True if `rel` (POSIX, relative to the root) or one of its parent folders matches a glob.

    Matching parents lets `exclude = ["reference"]` hide a whole folder, as a user expects.
    """
    path = PurePosixPath(rel)
    candidates = [rel, *(p.as_posix() for p in path.parents if p.as_posix() != ".")]
    return any(fnmatch.fnmatchcase(c, pat.rstrip("/")) for c in candidates for pat in patterns)


def _git_files(root: Path) -> list[str] | None:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None  # not a checkout (or git is broken): fall back to walking
    # Paths come relative to `root` even when root is a subfolder of the checkout.
    names = out.stdout.decode("utf-8", "surrogateescape").split("\0")
    return [n for n in names if n]


def _walk_files(root: Path) -> list[str]:
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        rel_folder = Path(folder).relative_to(root)
        for name in sorted(files):
            if not name.endswith(SKIP_SUFFIXES):
                found.append((rel_folder / name).as_posix())
    return found


def project_files(root: Path, exclude: Sequence[str] = ()) -> list[str]:
    """Relative POSIX paths of the files a variant copy gets (see the module docstring)."""
    names = _git_files(root)
    if names is None:
        names = _walk_files(root)
    keep = []
    for rel in names:
        first = rel.split("/", 1)[0]
        if first in (STATE_DIR_NAME, ".git") or excluded(rel, exclude):
            continue
        full = root / rel
        if full.is_symlink() or full.is_file():  # tracked files deleted in the tree are skipped
            keep.append(rel)
    return keep


def check_relative(rel: str) -> str:
    """`rel` normalised, or UsageError if it points outside the project."""
    p = PurePosixPath(rel)
    if p.is_absolute() or ".." in p.parts or not p.parts:
        raise UsageError(f"variant file {rel!r} must be a path inside the project root")
    return p.as_posix()


def populate(
    root: Path, dest: Path, files: Iterable[str], overrides: Mapping[str, str] | None = None
) -> None:
    """Copy `files` from `root` into `dest`, then write `overrides` (relative path -> text).

    Overrides are written as new files (never through a link), so nothing can reach back into
    the user's tree. A full disk or a read-only `.lessonl/` is one `StateProblem` line with
    the fix (it was an `[Errno 28]` traceback halfway through a run).
    """
    try:
        _populate(root, dest, files, overrides)
    except OSError as exc:
        if kind_of(exc) in ("full", "read-only"):
            raise state_problem(exc, dest, "copy the project into the build folder") from exc
        raise


def _populate(
    root: Path, dest: Path, files: Iterable[str], overrides: Mapping[str, str] | None
) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    made: set[Path] = set()
    for rel in files:
        target = dest / rel
        parent = target.parent
        if parent not in made:
            parent.mkdir(parents=True, exist_ok=True)
            made.add(parent)
        shutil.copy2(root / rel, target, follow_symlinks=False)
    for rel, text in (overrides or {}).items():
        target = dest / check_relative(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        target.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------- run folders' owners

OWNER_FILE = ".owner"
# A run folder without an owner file may be one another process is creating this instant.
_UNCLAIMED_GRACE_S = 300.0


def claim(run_dir: Path) -> None:
    """Record this process (pid and start time, which together survive pid reuse) as the owner
    of `run_dir`, so a later run can tell a live run's folder from a crashed one's."""
    me = psutil.Process()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / OWNER_FILE).write_text(f"{me.pid} {me.create_time()!r}\n", encoding="utf-8")
    except OSError as exc:
        raise state_problem(exc, run_dir, "create the build folder") from exc


def prune_orphans(
    build_dir: Path, keep: Path | None = None, prefix: str = "", *, keep_unclaimed: bool = False
) -> list[Path]:
    """Remove the run folders under `build_dir` (only those named `prefix...`) whose owner
    process is gone.

    A run removes its own folder when it ends, even on Ctrl-C; this catches what a SIGKILL, an
    OOM kill or a power cut left behind, which would otherwise pile up (a C++ run leaves
    megabytes per variant). Called at the start of every run, and by the benchmark for its
    working copies in the system's temporary folder: there `prefix` keeps it to those, and
    `keep_unclaimed` spares a folder without an owner file whatever its age (one made by a
    lessonl that did not claim its copies yet may belong to a benchmark still running).
    """
    removed: list[Path] = []
    if not build_dir.is_dir():
        return removed
    for folder in build_dir.iterdir():
        if not folder.name.startswith(prefix):
            continue
        if not folder.is_dir() or folder.is_symlink() or folder == keep:
            continue
        if keep_unclaimed and not (folder / OWNER_FILE).exists():
            continue
        if _owner_alive(folder):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _owner_alive(folder: Path) -> bool:
    try:
        pid_text, started_text = (folder / OWNER_FILE).read_text(encoding="utf-8").split()
        pid, started = int(pid_text), float(started_text)
    except FileNotFoundError:
        try:
            return time.time() - folder.stat().st_mtime < _UNCLAIMED_GRACE_S
        except FileNotFoundError:
            return True  # removed meanwhile by someone else
    except (OSError, ValueError):
        return False  # unreadable or garbled: nobody can claim it
    try:
        owner = psutil.Process(pid)
        # A zombie has exited: a killed owner stays one until its parent (a Ray raylet, a
        # shell) reaps it, and its start time still reads as a match.
        return abs(owner.create_time() - started) < 0.01 and owner.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True  # someone else's live process
