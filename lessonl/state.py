"""The per-project state folder `.lessonl/` (bank, LLM cache, build dirs, run reports).

It lives at the project root and carries its own `.gitignore` of `*`, so nothing in it is ever
committed by accident (variant code, cached model answers and reports can be large or private).

Every failure to use it (a read-only project or folder, a full disk, a damaged bank) reaches
the user as one `StateProblem` line naming the folder and the fix, never a traceback:
`state_problem` is the one place that turns an OSError or a sqlite3 error into that line.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from lessonl.errors import StateProblem

STATE_DIR_NAME = ".lessonl"

_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)
_FULL = (errno.ENOSPC, errno.EDQUOT)


def kind_of(exc: BaseException) -> str:
    """'read-only', 'full', 'damaged' or 'other': what went wrong with a state file."""
    if isinstance(exc, OSError):
        if exc.errno in _READ_ONLY:
            return "read-only"
        if exc.errno in _FULL:
            return "full"
        return "other"
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        if "full" in text:
            return "full"
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            return "read-only"
        if "malformed" in text or "not a database" in text or "corrupt" in text:
            return "damaged"
    return "other"


def _nearly_full(path: Path) -> bool:
    """Whether the filesystem holding `path` (or its nearest existing parent) has under 1 MiB
    free."""
    for candidate in (path, *path.parents):
        try:
            return shutil.disk_usage(candidate).free < (1 << 20)
        except OSError:
            continue
    return False


def state_problem(exc: BaseException, path: Path, doing: str) -> StateProblem:
    """One line for a failure while `doing` something with `path` under `.lessonl/`: the
    problem and what to do about it."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    kind = kind_of(exc)
    if kind == "other" and _nearly_full(path):
        # SQLite says "disk I/O error" when a full disk leaves no room for its -wal/-shm files.
        kind = "full"
    if kind == "read-only":
        fix = (
            f"make {path} writable (or its folder), or run lessonl from a writable copy of "
            "the project; reading lessons (`lessonl lessons list`) works on a read-only bank"
        )
    elif kind == "full":
        fix = (
            "free some disk space (old build folders under .lessonl/build/ and the response "
            "cache .lessonl/cache/ can be deleted) and retry"
        )
    elif kind == "damaged":
        fix = "run `lessonl lessons recover` to move it aside and keep what can be read"
    else:
        fix = f"check {path} and retry"
    return StateProblem(f"cannot {doing} {path} ({reason}); {fix}")


@dataclass(frozen=True)
class StateDir:
    """Paths inside `<root>/.lessonl/`; `ensure()` creates the folder and its .gitignore."""

    root: Path

    @property
    def path(self) -> Path:
        return self.root / STATE_DIR_NAME

    @property
    def bank(self) -> Path:
        return self.path / "bank"

    @property
    def cache(self) -> Path:
        return self.path / "cache"

    @property
    def build(self) -> Path:
        return self.path / "build"

    @property
    def runs(self) -> Path:
        return self.path / "runs"

    @property
    def pruned(self) -> Path:
        """Where `lessons prune` keeps what it removed (re-importable JSON Lines files)."""
        return self.path / "pruned"

    def ensure(self) -> StateDir:
        """Create the folder; raises `StateProblem` (read-only project, full disk)."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            ignore = self.path / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n", encoding="utf-8")
        except OSError as exc:
            raise state_problem(exc, self.path, "create the state folder") from exc
        return self
