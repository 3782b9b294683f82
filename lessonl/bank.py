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
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import diskcache

from lessonl import relevance
from lessonl.errors import UsageError
from lessonl.lessons import SIGNIFICANT_SPEEDUP, Lesson, normal_text

_PREFIX = "lesson:"
VOTE_BEAT = 1.1
VOTE_NOT = 0.9
# Texts whose words overlap this much (Jaccard, `relevance.overlap`) say the same thing: on that
# run's twelve lessons a reworded or lengthened second sentence kept 0.69-0.97 of the words.
NEAR_DUPLICATE = 0.65


def new_id() -> str:
    """A short random id; 40 bits make a clash unlikely, and `add` retries on one anyway."""
    return uuid.uuid4().hex[:10]


class LessonBank:
    """The lesson bank at `path` (a folder, created if needed); safe across processes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._cache = diskcache.Cache(str(self.path), timeout=60)

    # -- housekeeping -------------------------------------------------------------------------

    def close(self) -> None:
        self._cache.close()

    def __enter__(self) -> LessonBank:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return sum(1 for _ in self._keys())

    def _keys(self) -> Iterator[str]:
        for key in self._cache.iterkeys():
            if isinstance(key, str) and key.startswith(_PREFIX):
                yield key

    def _load(self, key: str) -> Lesson | None:
        raw = self._cache.get(key)
        return None if raw is None else Lesson.from_json(json.loads(raw))

    def _store(self, lesson: Lesson) -> None:
        self._cache.set(_PREFIX + lesson.id, json.dumps(lesson.to_json()))

    # -- records ------------------------------------------------------------------------------

    def add(self, lesson: Lesson) -> Lesson:
        """Store `lesson` under a new unique id (its own `id` is ignored) and return it."""
        while True:
            lesson.id = new_id()
            if self._cache.add(_PREFIX + lesson.id, json.dumps(lesson.to_json()), retry=True):
                return lesson

    def get(self, lesson_id: str) -> Lesson | None:
        return self._load(_PREFIX + lesson_id)

    def resolve(self, id_or_prefix: str) -> Lesson:
        """The lesson whose id is, or uniquely starts with, `id_or_prefix` (for the CLI)."""
        exact = self.get(id_or_prefix)
        if exact is not None:
            return exact
        hits = [k for k in self._keys() if k[len(_PREFIX) :].startswith(id_or_prefix)]
        if len(hits) == 1:
            lesson = self._load(hits[0])
            if lesson is not None:
                return lesson
        if not hits:
            raise UsageError(f"no lesson {id_or_prefix!r} in the bank; see `lessonl lessons list`")
        raise UsageError(f"lesson id prefix {id_or_prefix!r} is ambiguous; give more characters")

    def forget(self, lesson_id: str) -> bool:
        """Delete one lesson; False if it was not there."""
        return bool(self._cache.delete(_PREFIX + lesson_id, retry=True))

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

    def prune(self, *, min_uses: int) -> list[Lesson]:
        """Forget the lessons that never helped (see `Lesson.helped`) although they were shown
        at least `min_uses` times; returns them."""
        dropped = [les for les in self.all() if les.uses >= min_uses and not les.helped]
        for les in dropped:
            self.forget(les.id)
        return dropped

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
        with self._cache.transact(retry=True):
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

    def record_feedback(self, lesson_ids: Iterable[str], accepted: bool) -> int:
        """Count a user's accept/reject of a proposal against the lessons that produced it.

        Returns how many of the lessons were still in the bank.
        """
        n = 0
        with self._cache.transact(retry=True):
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
        try:
            with target.open("w", encoding="utf-8") as fh:
                for lesson in lessons:
                    fh.write(json.dumps(lesson.to_json(), ensure_ascii=False) + "\n")
        except OSError as exc:
            raise UsageError(f"{target}: cannot write: {exc.strerror}") from exc
        return len(lessons)

    def import_jsonl(self, path: str | Path) -> int:
        """Add the lessons of a JSON Lines export, keeping their ids; ids already in the bank
        are skipped (re-importing is harmless). Returns how many were added."""
        source = Path(path)
        try:
            lines = source.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"{source}: cannot read: {exc.strerror}") from exc
        lessons: list[Lesson] = []
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                data: Any = json.loads(line)
                lessons.append(Lesson.from_json(data))
            except (ValueError, TypeError) as exc:
                raise UsageError(
                    f"{source}:{n}: not a lesson record ({exc}); expected a `lessons export` file"
                ) from exc
        return self.import_lessons(lessons)

    def import_lessons(self, lessons: Iterable[Lesson]) -> int:
        """Add `lessons` keeping their ids, skipping ids already in the bank (what
        `import_jsonl` and the bench's warmed bank, `lessonl_transfer`, do). Returns how many
        were added."""
        added = 0
        for lesson in lessons:
            if self._cache.add(_PREFIX + lesson.id, json.dumps(lesson.to_json()), retry=True):
                added += 1
        return added


def _distinct(lessons: Iterable[Lesson]) -> list[Lesson]:
    """One lesson per text (see `normal_text`): the best by score, then the newest."""
    best: dict[str, Lesson] = {}
    for les in lessons:
        key = normal_text(les.text)
        kept = best.get(key)
        if kept is None or (les.score or 0.0, les.created) > (kept.score or 0.0, kept.created):
            best[key] = les
    return sorted(best.values(), key=lambda les: (les.created, les.id))
