"""The per-project state folder `.lessonl/` (bank, LLM cache, build dirs, run reports).

It lives at the project root and carries its own `.gitignore` of `*`, so nothing in it is ever
committed by accident (variant code, cached model answers and reports can be large or private).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

STATE_DIR_NAME = ".lessonl"


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

    def ensure(self) -> StateDir:
        self.path.mkdir(parents=True, exist_ok=True)
        ignore = self.path / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")
        return self
