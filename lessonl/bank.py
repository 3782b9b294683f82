"""The per-project lesson bank: a diskcache store under `.lessonl/bank/` (docs/method.md 3 and 4).

Why it looks the way it does:

* **Ids** are random (`uuid4`, 10 hex digits) and claimed with `Cache.add`, which stores only
  if the key is absent, atomically across processes. The authors' counter gave later lessons
  duplicate ids (docs/method.md 7); a counter would also clash when a teammate's export is imported.
* **Read-modify-write** (votes, feedback) happens inside `Cache.transact()`, an SQLite
  immediate transaction, so two runs updating the same lesson never lose a vote.
* **Selection** (`select`), the same rule in every round, round 0 of a new run included: all
  lessons when there are at most k; else up to ceil(k/2) whose speedup x factor >= 1.1, best
  first, then the most relevant of the rest (TF-IDF cosine of the lesson's text against the
  source, `lessonl.relevance`). Ties keep the newer lesson. Lessons with the same text are
  shown once, and so are lessons that say nearly the same thing (the Jaccard overlap of their
  words >= `NEAR_DUPLICATE`: a local model's run banked twelve "Code B uses a set to track
  seen items" lessons, and four rewordings filled the prompt); lessons about the same
  function and file come first in each half. Seeding
  by relevance alone (as before) favoured lessons whose text quotes the code ("does not
  compile" twice) over the lessons that carried a 1,900x win.
* **Effectiveness** (`record_votes`): for every shown lesson and every agent of the round, a
  vote of 1.1 if that agent's speedup beat the lesson's own, else 0.9; an agent without a
  correct variant (speedup None) never beats it. A lesson without a speedup of its own
  (incorrect, not compilable, timeout, crash) is compared against 1.0, the original's speed:
  it helped if the agent who read it still produced something faster than the original. The
  factor is the mean of *all* votes the lesson ever got (cumulative, as the paper describes,
  not the authors' overwrite), persisted across runs.
* **Never a traceback, never a lost lesson** (issue 30): reading (`read_only=True`) goes through
  SQLite's read-only mode and needs no write access; a record that is not a lesson is skipped
  and named; a damaged database is moved aside, never deleted, and what still reads (row by
  row, past the damaged pages) goes into a fresh bank; a read-only or full store is one
  `StateProblem` line with the fix (`lessonl.state.state_problem`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import functools
import json
import logging
import math
import os
import shutil
import sqlite3
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import diskcache

from lessonl import relevance
from lessonl.atomic import write_text
from lessonl.errors import StateProblem, UsageError
from lessonl.lessons import SIGNIFICANT_SPEEDUP, Lesson, normal_text, record_problem
from lessonl.state import kind_of, state_problem

log = logging.getLogger(__name__)

_PREFIX = "lesson:"
VOTE_BEAT = 1.1
VOTE_NOT = 0.9
# Texts whose words overlap this much (Jaccard, `relevance.overlap`) say the same thing: on that
# run's twelve lessons a reworded or lengthened second sentence kept 0.69-0.97 of the words.
NEAR_DUPLICATE = 0.65

#: diskcache's database file in the bank folder, and its value modes (diskcache.core): a
#: lesson is a JSON string, stored in the row (MODE_RAW) or, when long, in a file (MODE_TEXT).
_DB_NAME = "cache.db"
_MODE_RAW = 1
_MODE_TEXT = 3
#: Salvaging rows one by one: stop after this many missing rowids in a row, or this many in all.
_MISSES = 10_000
_MAX_ROWS = 10_000_000
#: Failures of the store itself (not of one record): mapped to one `StateProblem` line.
_STORE_ERRORS = (sqlite3.Error, OSError, diskcache.Timeout)

F = TypeVar("F", bound=Callable[..., Any])


def new_id() -> str:
    """A short random id; 40 bits make a clash unlikely, and `add` retries on one anyway."""
    return uuid.uuid4().hex[:10]


def _guarded(doing: str) -> Callable[[F], F]:
    """Turn a store failure inside a bank method into one `StateProblem` line with the fix
    (a read-only or full `.lessonl/`, a bank damaged after it was opened)."""

    def wrap(method: F) -> F:
        @functools.wraps(method)
        def inner(self: LessonBank, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except _STORE_ERRORS as exc:
                raise state_problem(exc, self.path, doing) from exc

        return inner  # type: ignore[return-value]

    return wrap


@dataclass
class Salvage:
    """What could be read from a bank folder without writing to it: the raw JSON of each
    lesson record by key, and what could not be read (`lost`, one phrase each)."""

    rows: dict[str, str] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    #: False when the database itself could not be read (not a database, no table).
    readable: bool = True


def read_rows(folder: Path) -> Salvage:
    """Every lesson record of the bank in `folder`, read through SQLite's read-only mode, so it
    works on a read-only `.lessonl/` and on a damaged bank (rows that do not read are named in
    `lost` and skipped). Raises `StateProblem` only when the file cannot be opened at all."""
    salvage = Salvage()
    db = folder / _DB_NAME
    if not db.exists():
        return salvage
    base = "file:" + urllib.parse.quote(str(db.resolve()))
    conn: sqlite3.Connection | None = None
    last: sqlite3.Error | None = None
    # mode=ro needs the WAL's shared-memory file; on a read-only filesystem without one,
    # immutable=1 reads the file as it is (no other process can be writing to it there).
    for query in ("?mode=ro", "?mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(base + query, uri=True, timeout=10)
            # Read the schema even when a damaged page makes SQLite refuse it (a truncated
            # bank): read-only, so nothing can be written through it.
            conn.execute("PRAGMA writable_schema = ON")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            break
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            conn, last = None, exc
    if conn is None:
        assert last is not None
        if kind_of(last) == "damaged":
            salvage.readable = False
            salvage.lost.append(f"the whole database ({last})")
            return salvage
        raise state_problem(last, folder, "read the lesson bank")
    try:
        _read_table(conn, folder, salvage)
    finally:
        conn.close()
    return salvage


def _read_table(conn: sqlite3.Connection, folder: Path, salvage: Salvage) -> None:
    columns = "SELECT key, mode, filename, value FROM Cache"
    try:
        rows = conn.execute(columns + " WHERE raw = 1").fetchall()
    except sqlite3.Error as exc:
        # A damaged page: read the rows one by one, keeping those that still read. The
        # highest rowid may itself be on a lost page: then scan until MISSES in a row miss.
        try:
            top: int | None = conn.execute("SELECT max(rowid) FROM Cache").fetchone()[0] or 0
        except sqlite3.Error:
            top = None
        rows, misses, rowid, bad = [], 0, 0, 0
        while rowid < _MAX_ROWS and (rowid < top if top is not None else misses < _MISSES):
            rowid += 1
            try:
                found = conn.execute(columns + " WHERE rowid = ?", (rowid,)).fetchall()
            except sqlite3.Error:
                found, bad = [], bad + 1
            rows.extend(found)
            misses = 0 if found else misses + 1
        if bad:
            salvage.lost.append(f"the rows on damaged pages ({exc})")
        if not rows:
            salvage.readable = False
    for key, mode, filename, value in rows:
        if not (isinstance(key, str) and key.startswith(_PREFIX)):
            continue
        try:
            if mode == _MODE_RAW:
                text = value if isinstance(value, str) else bytes(value).decode("utf-8")
            elif mode == _MODE_TEXT:
                text = (folder / str(filename)).read_text(encoding="utf-8")
            else:
                raise ValueError(f"unexpected storage mode {mode}")
        except (OSError, ValueError) as exc:
            salvage.lost.append(f"record {key[len(_PREFIX) :]} ({exc})")
            continue
        salvage.rows[key] = text


def recover(folder: Path) -> tuple[Path, int, list[str]]:
    """Move the bank in `folder` aside (to `bank.damaged-<UTC time>` beside it; never deleted)
    and put the lessons that still read into a fresh bank at `folder`. Returns where the old
    one went, how many lessons were kept, and what was lost.

    The fresh bank is filled beside it first and then renamed into place, so a process that
    opens the bank meanwhile finds the damaged one or the full fresh one, never a half-filled
    one."""
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    salvage = read_rows(folder) if (folder / _DB_NAME).exists() else Salvage()
    lessons, lost = [], list(salvage.lost)
    for key, raw in salvage.rows.items():
        try:
            lessons.append(Lesson.from_json(json.loads(raw)))
        except (ValueError, TypeError, OverflowError) as exc:
            lost.append(f"record {key[len(_PREFIX) :]} ({exc})")
    fresh = folder.with_name(f".{folder.name}.recovering-{stamp}-{os.getpid()}")
    aside = folder.with_name(f"{folder.name}.damaged-{stamp}")
    with LessonBank(fresh) as bank:
        kept = bank.import_lessons(lessons)
    try:
        os.rename(folder, aside)
    except OSError as exc:
        shutil.rmtree(fresh, ignore_errors=True)
        raise state_problem(exc, folder, "move the damaged lesson bank aside from") from exc
    try:
        os.rename(fresh, folder)
    except OSError:  # someone made a new bank in between: add the lessons to it instead
        with LessonBank(folder) as bank:
            bank.import_lessons(lessons)
        shutil.rmtree(fresh, ignore_errors=True)
    return aside, kept, lost


def health(folder: Path) -> str | None:
    """What is wrong with the bank in `folder` (read without writing anything), or None when
    it is sound: SQLite's quick check, then every record read as a lesson."""
    db = folder / _DB_NAME
    if not db.exists():
        return None
    base = "file:" + urllib.parse.quote(str(db.resolve()))
    problem: str | None = None
    for query in ("?mode=ro", "?mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(base + query, uri=True, timeout=10)
            try:
                rows = conn.execute("PRAGMA quick_check").fetchall()
            finally:
                conn.close()
        except sqlite3.Error as exc:
            if kind_of(exc) == "damaged":
                return str(exc)
            problem = str(exc)
            continue
        bad = [str(r[0]) for r in rows if r and r[0] != "ok"]
        if bad:
            return "; ".join(bad[:2])
        problem = None
        break
    if problem is not None:
        return problem
    salvage = read_rows(folder)
    lost = list(salvage.lost)
    for key, raw in salvage.rows.items():
        try:
            Lesson.from_json(json.loads(raw))
        except (ValueError, TypeError, OverflowError):
            lost.append(f"record {key[len(_PREFIX) :]} is not a lesson")
    return ", ".join(lost[:3]) + (" ..." if len(lost) > 3 else "") if lost else None


@contextlib.contextmanager
def _recovery_lock(folder: Path) -> Iterator[None]:
    """One process at a time moves a damaged bank aside (an advisory lock beside it)."""
    lock = folder.with_name(f".{folder.name}.recover.lock")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise state_problem(exc, folder.parent, "lock the lesson bank in") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _damaged(cache: diskcache.Cache) -> str | None:
    """Why the open bank's database is damaged, or None when SQLite's quick check passes."""
    try:
        rows = cache._sql("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        if kind_of(exc) == "damaged":
            return str(exc)
        raise
    problems = [str(r[0]) for r in rows if r and r[0] != "ok"]
    return "; ".join(problems[:2]) if problems else None


class LessonBank:
    """The lesson bank at `path` (a folder, created if needed); safe across processes.

    `read_only=True` (what listing, showing, searching and exporting use) reads the records
    through SQLite's read-only mode and writes nothing: it works on a read-only `.lessonl/`
    and on a damaged bank, skipping (and naming) the records that do not read. Opened for
    writing, a damaged bank is moved aside and what still reads goes into a fresh one (one
    warning line; `lessonl lessons recover` does the same on request). A record overwritten
    with something that is not a lesson is skipped and named, in both modes.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        #: Ids of records that could not be read as lessons (each warned about once).
        self.damaged: set[str] = set()
        self._rows: dict[str, str] = {}
        self._cache: diskcache.Cache | None = None
        if read_only:
            salvage = read_rows(self.path)
            self._rows = salvage.rows
            if salvage.lost:
                log.warning(
                    "lesson bank %s is damaged (%s unreadable); showing the %d records that "
                    "read; `lessonl lessons recover` moves it aside and keeps them",
                    self.path,
                    ", ".join(salvage.lost[:3]) + (" ..." if len(salvage.lost) > 3 else ""),
                    len(self._rows),
                )
            return
        self._cache = self._open()

    def _open(self, *, may_recover: bool = True) -> diskcache.Cache:
        try:
            cache = diskcache.Cache(str(self.path), timeout=60)
        except _STORE_ERRORS as exc:
            if kind_of(exc) != "damaged":
                raise state_problem(exc, self.path, "open the lesson bank") from exc
            why: str | None = str(exc)
            cache = None
        else:
            try:
                why = _damaged(cache)
            except _STORE_ERRORS as exc:
                cache.close()
                raise state_problem(exc, self.path, "open the lesson bank") from exc
            if why is None:
                return cache
            cache.close()
        if not may_recover:  # a fresh bank that is damaged at once: do not loop
            raise state_problem(sqlite3.DatabaseError(why), self.path, "open the lesson bank")
        with _recovery_lock(self.path):
            # Another process may have moved it aside and made a fresh bank meanwhile: the
            # fresh one must not be moved aside in turn.
            why = health(self.path) if (self.path / _DB_NAME).exists() else None
            if why is None:
                return self._open(may_recover=False)
            aside, kept, lost = recover(self.path)
        log.warning(
            "lesson bank %s was damaged (%s): moved it to %s (nothing deleted) and kept the %d "
            "lessons that still read in a fresh bank%s",
            self.path,
            why,
            aside,
            kept,
            f"; unreadable: {', '.join(lost[:3])}" if lost else "",
        )
        try:
            return diskcache.Cache(str(self.path), timeout=60)
        except _STORE_ERRORS as exc:
            raise state_problem(exc, self.path, "open the lesson bank") from exc

    @property
    def _writable(self) -> diskcache.Cache:
        if self._cache is None:
            raise StateProblem(f"the lesson bank {self.path} was opened read-only; not changed")
        return self._cache

    # -- housekeeping -------------------------------------------------------------------------

    def close(self) -> None:
        if self._cache is not None:
            with contextlib.suppress(*_STORE_ERRORS):
                self._cache.close()

    def __enter__(self) -> LessonBank:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @_guarded("read the lesson bank")
    def __len__(self) -> int:
        return sum(1 for _ in self._keys())

    def _keys(self) -> Iterator[str]:
        keys: Iterable[object] = self._rows if self._cache is None else self._cache.iterkeys()
        for key in keys:
            if isinstance(key, str) and key.startswith(_PREFIX):
                yield key

    def _load(self, key: str, *, warn: bool = True) -> Lesson | None:
        raw = self._rows.get(key) if self._cache is None else self._cache.get(key)
        if raw is None:
            return None
        try:
            return Lesson.from_json(json.loads(raw))
        except (ValueError, TypeError, OverflowError) as exc:
            lesson_id = key[len(_PREFIX) :]
            if warn and lesson_id not in self.damaged:
                self.damaged.add(lesson_id)
                log.warning(
                    "lesson bank %s: record %s is not a lesson (%s); skipped "
                    "(`lessonl lessons forget %s` removes it)",
                    self.path,
                    lesson_id,
                    str(exc)[:80],
                    lesson_id,
                )
            return None

    def _store(self, lesson: Lesson) -> None:
        self._writable.set(_PREFIX + lesson.id, json.dumps(lesson.to_json()))

    # -- records ------------------------------------------------------------------------------

    @_guarded("add a lesson to")
    def add(self, lesson: Lesson) -> Lesson:
        """Store `lesson` under a new unique id (its own `id` is ignored) and return it."""
        while True:
            lesson.id = new_id()
            if self._writable.add(_PREFIX + lesson.id, json.dumps(lesson.to_json()), retry=True):
                return lesson

    @_guarded("read the lesson bank")
    def get(self, lesson_id: str) -> Lesson | None:
        return self._load(_PREFIX + lesson_id)

    @_guarded("read the lesson bank")
    def resolve_id(self, id_or_prefix: str) -> str:
        """The id of the record whose id is, or uniquely starts with, `id_or_prefix`, readable
        or not (so that `lessons forget` can remove a damaged record)."""
        ids = [k[len(_PREFIX) :] for k in self._keys()]
        if id_or_prefix in ids:
            return id_or_prefix
        hits = [i for i in ids if i.startswith(id_or_prefix)] if id_or_prefix else []
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise UsageError(f"no lesson {id_or_prefix!r} in the bank; see `lessonl lessons list`")
        raise UsageError(f"lesson id prefix {id_or_prefix!r} is ambiguous; give more characters")

    @_guarded("read the lesson bank")
    def resolve(self, id_or_prefix: str) -> Lesson:
        """The lesson whose id is, or uniquely starts with, `id_or_prefix` (for the CLI)."""
        lesson_id = self.resolve_id(id_or_prefix)
        lesson = self._load(_PREFIX + lesson_id, warn=False)  # the error below says it all
        if lesson is None:
            raise UsageError(
                f"lesson {lesson_id} is damaged (not a lesson record); "
                f"`lessonl lessons forget {lesson_id}` removes it"
            )
        return lesson

    @_guarded("forget a lesson in")
    def forget(self, lesson_id: str) -> bool:
        """Delete one lesson; False if it was not there."""
        return bool(self._writable.delete(_PREFIX + lesson_id, retry=True))

    @_guarded("read the lesson bank")
    def all(self, *, language: str | None = None) -> list[Lesson]:
        """Every lesson (of `language` if given), oldest first."""
        out: list[Lesson] = []
        for key in list(self._keys()):
            lesson = self._load(key)  # may have been forgotten meanwhile
            if lesson is not None and (language is None or lesson.language == language):
                out.append(lesson)
        out.sort(key=lambda les: (les.created, les.id))
        return out

    # -- selection ----------------------------------------------------------------------------

    def _by_relevance(self, source: str, pool: Sequence[Lesson]) -> list[Lesson]:
        """`pool` most relevant first; equal scores keep the newer lesson first."""
        sims = relevance.scores(source, [les.text for les in pool])
        order = sorted(
            range(len(pool)), key=lambda i: (sims[i], pool[i].created, pool[i].id), reverse=True
        )
        return [pool[i] for i in order]

    def select(
        self,
        k: int,
        source: str,
        *,
        exclude_ids: Iterable[str] = (),
        language: str | None = None,
        function: str | None = None,
        file: str | None = None,
    ) -> list[Lesson]:
        """The k lessons to show (docs/method.md section 3; see the module docstring), in every
        round including round 0 of a new run.

        Beyond the paper: lessons that say the same thing are shown once (the best of them by
        score, then the newest); and within each half, lessons about the same `function` of the
        same `file` come first, then the same file, then the rest of the project's bank (which
        is how one function's lessons reach another)."""
        if k <= 0:
            return []
        excluded = set(exclude_ids)
        pool = _distinct(les for les in self.all(language=language) if les.id not in excluded)

        def near(les: Lesson) -> int:
            return les.nearness(function, file)

        chosen: list[Lesson] = []

        def take(candidates: Iterable[Lesson], upto: int) -> None:
            for les in candidates:
                if len(chosen) >= upto:
                    return
                if all(relevance.overlap(les.text, c.text) < NEAR_DUPLICATE for c in chosen):
                    chosen.append(les)

        good = [les for les in pool if les.score is not None and les.score >= SIGNIFICANT_SPEEDUP]
        good.sort(key=lambda les: (near(les), les.score or 0.0, les.created, les.id), reverse=True)
        take(good, math.ceil(k / 2))
        taken = {les.id for les in chosen}
        rest = self._by_relevance(source, [les for les in pool if les.id not in taken])
        rest.sort(key=near, reverse=True)  # stable: relevance order within each group
        take(rest, k)
        return chosen

    def relevant(self, source: str, k: int, *, language: str | None) -> list[Lesson]:
        """Up to k distinct lessons of `language` most relevant to `source` (relevance alone;
        runs seed round 0 with `select`, which also weighs verified speedups)."""
        if k <= 0:
            return []
        return self._by_relevance(source, _distinct(self.all(language=language)))[:k]

    def prunable(self, *, min_uses: int) -> list[Lesson]:
        """The lessons that never helped (see `Lesson.helped`) although they were shown at
        least `min_uses` (>= 1) times: what `prune` would remove."""
        if min_uses < 1:
            raise UsageError(
                f"--min-uses must be at least 1 (got {min_uses}); a lesson never shown has not "
                "had a chance to help"
            )
        return [les for les in self.all() if les.uses >= min_uses and not les.helped]

    @_guarded("prune lessons in")
    def prune(self, *, min_uses: int, keep_in: Path) -> tuple[list[Lesson], Path | None]:
        """Forget the `prunable` lessons after writing them to a new JSON Lines file in
        `keep_in` (`pruned-<UTC time>.jsonl`, re-importable with `lessons import`), so a prune
        is never the end of a lesson. Returns them and the file (None when nothing went)."""
        dropped = self.prunable(min_uses=min_uses)
        if not dropped:
            return [], None
        self._writable  # noqa: B018 - refuse before writing anything on a read-only bank
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        kept = keep_in / f"pruned-{stamp}.jsonl"
        try:
            keep_in.mkdir(parents=True, exist_ok=True)
            write_text(kept, "".join(_jsonl(les) for les in dropped))
        except OSError as exc:
            raise state_problem(exc, keep_in, "keep the pruned lessons in") from exc
        for les in dropped:
            self.forget(les.id)
        return dropped, kept

    def search(self, text: str, limit: int = 20) -> list[Lesson]:
        """Lessons relevant to `text` (a query or code), best first; unrelated ones left out."""
        pool = self.all()
        if not pool or limit <= 0:
            return []
        docs = [f"{les.text} {les.function or ''} {les.target} {les.code}" for les in pool]
        sims = relevance.scores(text, docs)
        order = sorted(
            (i for i in range(len(pool)) if sims[i] > 0.0),
            key=lambda i: (sims[i], pool[i].created),
            reverse=True,
        )
        return [pool[i] for i in order[:limit]]

    # -- effectiveness and feedback -----------------------------------------------------------

    @_guarded("record votes in")
    def record_votes(
        self,
        shown: Sequence[str],
        speedups_this_round: Sequence[float | None],
        *,
        run_id: str = "",
        round: int | None = None,
    ) -> None:
        """Add this round's votes to every shown lesson (see the module docstring), and the
        round's speedups to its history (what `lessons show` prints).

        `speedups_this_round` has one entry per agent that attempted a variant: its correct
        speedup, or None. A shown lesson that was forgotten meanwhile is skipped.
        """
        if not speedups_this_round:
            return
        with self._writable.transact(retry=True):
            for lesson_id in dict.fromkeys(shown):
                lesson = self.get(lesson_id)
                if lesson is None:
                    continue
                own = lesson.speedup if lesson.speedup is not None else 1.0
                for s in speedups_this_round:
                    lesson.votes.append(VOTE_BEAT if s is not None and s > own else VOTE_NOT)
                lesson.factor = sum(lesson.votes) / len(lesson.votes)
                lesson.uses += 1
                lesson.history.append(
                    {"run_id": run_id, "round": round, "speedups": list(speedups_this_round)}
                )
                self._store(lesson)

    @_guarded("record feedback in")
    def record_feedback(self, lesson_ids: Iterable[str], accepted: bool) -> int:
        """Count a user's accept/reject of a proposal against the lessons that produced it.

        Returns how many of the lessons were still in the bank.
        """
        n = 0
        with self._writable.transact(retry=True):
            for lesson_id in dict.fromkeys(lesson_ids):
                lesson = self.get(lesson_id)
                if lesson is None:
                    continue
                if accepted:
                    lesson.accepted += 1
                else:
                    lesson.rejected += 1
                self._store(lesson)
                n += 1
        return n

    # -- export / import ----------------------------------------------------------------------

    def export_jsonl(self, path: str | Path) -> int:
        """Write every lesson as JSON Lines (oldest first); returns how many."""
        lessons = self.all()
        target = Path(path)
        if target.is_dir():
            raise UsageError(f"{target} is a directory; give a file name to export to")
        try:
            with target.open("w", encoding="utf-8") as fh:
                for lesson in lessons:
                    fh.write(_jsonl(lesson))
        except OSError as exc:
            raise UsageError(f"{target}: cannot write: {exc.strerror}") from exc
        return len(lessons)

    def import_jsonl(self, path: str | Path) -> tuple[int, list[str]]:
        """Add the lessons of a JSON Lines export, keeping their ids; ids already in the bank
        are skipped (re-importing is harmless). A line that is not a lesson our loop could
        have made (`lessons.record_problem`: length, prose, ranges, languages), or not UTF-8
        JSON, is refused by line (`file:N: reason`) and the rest is imported. Returns how
        many were added and the refusals."""
        source = Path(path)
        if source.is_dir():
            raise UsageError(f"{source} is a directory; give a `lessons export` file")
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise UsageError(f"{source}: cannot read: {exc.strerror}") from exc
        lessons: list[Lesson] = []
        refused: list[str] = []
        for n, raw in enumerate(data.splitlines(), 1):
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                refused.append(f"{source}:{n}: not UTF-8 (byte {exc.start + 1})")
                continue
            try:
                lesson = Lesson.from_json(json.loads(line))
            except (ValueError, TypeError, OverflowError) as exc:
                refused.append(f"{source}:{n}: not a lesson record ({str(exc)[:120]})")
                continue
            problem = record_problem(lesson)
            if problem is not None:
                refused.append(f"{source}:{n}: {problem}")
                continue
            lessons.append(lesson)
        if refused and not lessons:
            raise UsageError(
                f"{refused[0]}; no line of {source} is a lesson record (expected a "
                "`lessons export` file)"
                + (f"; {len(refused) - 1} more lines refused" if len(refused) > 1 else "")
            )
        return self.import_lessons(lessons), refused

    @_guarded("import lessons into")
    def import_lessons(self, lessons: Iterable[Lesson]) -> int:
        """Add `lessons` keeping their ids, skipping ids already in the bank (what
        `import_jsonl` and the bench's warmed bank, `lessonl_transfer`, do). Returns how many
        were added."""
        added = 0
        for lesson in lessons:
            if self._writable.add(_PREFIX + lesson.id, json.dumps(lesson.to_json()), retry=True):
                added += 1
        return added


def _jsonl(lesson: Lesson) -> str:
    return json.dumps(lesson.to_json(), ensure_ascii=False) + "\n"


def _distinct(lessons: Iterable[Lesson]) -> list[Lesson]:
    """One lesson per text (see `normal_text`): the best by score, then the newest."""
    best: dict[str, Lesson] = {}
    for les in lessons:
        key = normal_text(les.text)
        kept = best.get(key)
        if kept is None or (les.score or 0.0, les.created) > (kept.score or 0.0, kept.created):
            best[key] = les
    return sorted(best.values(), key=lambda les: (les.created, les.id))
