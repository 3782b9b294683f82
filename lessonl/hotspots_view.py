"""The last profile (`.lessonl/hotspots/latest.json`) as the editor shows it: which hot
functions of a file still have the text that was profiled, and so may show their numbers.

Stale numbers are never shown as current. A profile's numbers belong to the exact text of each
function when it ran, so every kept entry carries `source_sha256`, the SHA-256 of the function's
definition text (decorators and body, as `lessonl.regions` delimits it) at profile time. A
function whose current text (the editor's, unsaved edits included) hashes differently, or that
is gone, renamed, or has no hash, shows nothing. Only the function's own text is compared: a
change in a callee elsewhere is not detected (the profile's commit and time say how old it is).

`stamp` adds the hashes. The profile reads its sources from its private copy, so the exact text
profiled is at hand there; until `lessonl.hotspots.profile` calls `stamp` on that copy,
`restamp_latest` stamps from the project itself after the profile, skipping any file modified
since the profile began (its text may no longer be what ran: better no lens than a stale one).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lessonl.atomic import write_text
from lessonl.auto.project import python_root
from lessonl.config import Config, language_for_path, load_config
from lessonl.errors import LessonLError
from lessonl.state import StateDir

log = logging.getLogger(__name__)

#: A function gets a lens when its share of the workload's time is at least this (1%): below
#: it, even removing the function would not change the workload's time measurably. Low on
#: purpose: with the default workload, the project's tests, the time includes pytest's own
#: start-up and collection, so in a small suite even the hottest function has a few percent
#: (measured: 1.6% for tests/data/hotspots' quadratic function under its own tests).
MIN_SHARE = 0.01
#: At most this many lenses per file (the hottest), so a file of many small hot helpers
#: does not drown in lenses.
MAX_LENSES = 5
#: The workload `lessonl hotspots` runs by default (`lessonl.hotspots.workload_for([])`), which
#: the lens calls "test time".
TESTS_COMMAND = "python -m pytest -q -p no:cacheprovider"


class HotspotsUnreadable(LessonLError):
    """`.lessonl/hotspots/latest.json` exists but is not a profile result."""


def latest_path(root: Path) -> Path:
    return StateDir(root).path / "hotspots" / "latest.json"


def project_for(start: Path) -> tuple[Path, Config]:
    """The project `lessonl hotspots` profiles for a file or folder, found as the CLI finds it
    from the current folder: the config's folder, else the Python project's root."""
    config = load_config(start, required=False)
    if config.path is not None:
        return config.root, config
    anchor = start if start.is_file() else start / "x.py"
    return python_root(anchor), config


@dataclass(frozen=True)
class _Definition:
    start_line: int  # 0-based, the first decorator's line for a decorated function
    sha256: str


def definitions(source: str, language: str) -> dict[str, _Definition | None]:
    """Every function of `source` by exact qualified name, with its line and the hash of its
    definition text (bytes as `lessonl.regions` delimits them, decorators included); None
    for a name defined more than once (C++ overloads: which one was profiled is unknown).
    One parse per text, so a file's lenses cost one parse."""
    from lessonl.regions import list_functions  # tree-sitter: imported when first needed

    data = source.encode("utf-8")
    found: dict[str, _Definition | None] = {}
    for info in list_functions(source, language):
        digest = hashlib.sha256(data[info.start_byte : info.end_byte]).hexdigest()
        name = info.qualified_name
        found[name] = None if name in found else _Definition(info.start_line, digest)
    return found


def function_sha256(source: str, language: str, qualname: str) -> str | None:
    """The hash of `qualname`'s definition text in `source` (the exact qualified name: a
    short-name match is another function); None when it is absent or ambiguous."""
    definition = definitions(source, language).get(qualname)
    return definition.sha256 if definition is not None else None


def _qualname(entry: dict[str, Any]) -> str | None:
    function, file = entry.get("function"), entry.get("file")
    if not isinstance(function, str) or not isinstance(file, str):
        return None
    prefix = file + ":"
    return function[len(prefix) :] if function.startswith(prefix) else None


def stamp(result: dict[str, Any], tree: Path, *, unchanged_since: float | None = None) -> int:
    """Add `source_sha256` to every entry of a kept result (`lessonl.hotspots.kept`) that lacks
    it, from the sources under `tree`; a file modified after `unchanged_since` (a time.time())
    gets none. Returns how many entries were stamped."""
    files: dict[str, dict[str, _Definition | None]] = {}
    stamped = 0
    for entry in result.get("functions", []):
        if not isinstance(entry, dict) or entry.get("source_sha256"):
            continue
        qual = _qualname(entry)
        language = language_for_path(entry["file"]) if qual else None
        if qual is None or language is None:
            continue
        rel = entry["file"]
        if rel not in files:
            files[rel] = _file_definitions(tree / rel, language, unchanged_since)
        definition = files[rel].get(qual)
        if definition is not None:
            entry["source_sha256"] = definition.sha256
            stamped += 1
    return stamped


def _file_definitions(
    path: Path, language: str, unchanged_since: float | None
) -> dict[str, _Definition | None]:
    try:
        if unchanged_since is not None and path.stat().st_mtime > unchanged_since:
            return {}  # saved while the profile ran: its text may not be the one profiled
        return definitions(path.read_text(encoding="utf-8"), language)
    except (OSError, UnicodeDecodeError, LessonLError):
        return {}


def read_latest(root: Path) -> dict[str, Any] | None:
    """The kept result, None when there is none; HotspotsUnreadable when it is not one."""
    path = latest_path(root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise HotspotsUnreadable(
            f"cannot read {path} ({exc}); run `lessonl hotspots` (or LessonL: Find Hotspots) again"
        ) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        data, why = None, f"not JSON: {exc}"
    else:
        why = "no `functions` list"
    if not isinstance(data, dict) or not isinstance(data.get("functions"), list):
        raise HotspotsUnreadable(
            f"{path} is not a hotspots result ({why}); run `lessonl hotspots` (or LessonL: "
            "Find Hotspots) again"
        )
    return data


def restamp_latest(root: Path, unchanged_since: float) -> int:
    """`stamp` the kept result from the project's own files (see the module docstring)."""
    data = read_latest(root)
    if data is None:
        return 0
    n = stamp(data, root, unchanged_since=unchanged_since)
    if n:
        write_text(latest_path(root), json.dumps(data, indent=2) + "\n")
    return n


def share_text(share: float) -> str:
    """`23%`, or `1.6%` below 10% (where the first decimal still tells functions apart)."""
    return f"{share:.1%}" if share < 0.1 else f"{share:.0%}"


@dataclass(frozen=True)
class HotFunction:
    """One lens: a hot function of the open file whose text is the one profiled."""

    qualname: str
    line: int  # 0-based, where the definition starts in the current text
    share: float
    own_s: float
    inclusive_s: float
    calls: int
    optimizable: bool
    why_not: str | None

    def title(self, command: str) -> str:
        of = "test time" if command == TESTS_COMMAND else "workload time"
        head = f"LessonL: {share_text(self.share)} of {of}"
        if self.optimizable:
            return f"{head} · Optimize"
        return f"{head} · not optimizable: {self.why_not or 'see lessonl hotspots'}"


def hot_functions(
    result: dict[str, Any], rel: str, text: str, *, min_share: float = MIN_SHARE
) -> list[HotFunction]:
    """The functions of file `rel` (POSIX, relative to the project root) that the profile
    found hot (share >= `min_share`) and whose definition in `text` is unchanged, hottest
    first, at most MAX_LENSES."""
    language = language_for_path(rel)
    if language is None:
        return []
    current: dict[str, _Definition | None] | None = None
    found: list[HotFunction] = []
    for entry in result.get("functions", []):
        if not isinstance(entry, dict) or entry.get("file") != rel:
            continue
        share = entry.get("share")
        digest = entry.get("source_sha256")
        qual = _qualname(entry)
        if not isinstance(share, int | float) or share < min_share or qual is None:
            continue
        if not isinstance(digest, str):
            continue  # never hashed: whether it changed cannot be told
        if current is None:
            current = definitions(text, language)
        definition = current.get(qual)
        if definition is None or definition.sha256 != digest:
            continue  # changed, renamed, deleted or ambiguous: its numbers may be stale
        found.append(
            HotFunction(
                qualname=qual,
                line=definition.start_line,
                share=float(share),
                own_s=float(entry.get("own_s") or 0.0),
                inclusive_s=float(entry.get("inclusive_s") or 0.0),
                calls=int(entry.get("calls") or 0),
                optimizable=bool(entry.get("optimizable")),
                why_not=entry.get("why_not") if isinstance(entry.get("why_not"), str) else None,
            )
        )
    found.sort(key=lambda h: -h.share)
    return found[:MAX_LENSES]


def relative_to(root: Path, path: Path) -> str | None:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None
