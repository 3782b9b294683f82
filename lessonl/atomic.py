"""`write_text`: replace a file's contents so that a reader (or a resumed run) never sees half
of it: write a temporary file in the same folder, then `os.replace` it over the target.

One place for this because the obvious version has two traps, both hit here before: the
temporary file of `mkstemp` is private (0600), so reports came out unreadable to other users
and a rewritten source file lost its mode; and a failed write must not leave `.tmp` litter
that a later run mistakes for data.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

#: Reports and results: not secrets, readable like any file the user's tools write.
DEFAULT_MODE = 0o644


def write_text(path: Path, text: str, *, mode: int | None = None) -> Path:
    """Atomically make `path` hold `text` (UTF-8). `mode`: the permission bits to give it
    (default: those of the file it replaces, else DEFAULT_MODE)."""
    path = Path(path)
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = DEFAULT_MODE
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path
