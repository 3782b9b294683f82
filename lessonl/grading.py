"""The grading pipeline, written once for `lessonl optimize` and every `lessonl bench` strategy.

A benchmark is only fair while the loop and the strategies grade alike, so the three steps
that decide a score live here and nowhere else:

- `grade`: a model's reply -> its fenced code -> spliced into the file (the target plus its
  own helpers, new helpers and includes: `regions.splice_parts`) -> built, checked and timed
  by the harness. A reply that never reaches the compiler (no code block, or an answer that
  lacks the target function) gets a `NotBuilt` grade with the reason instead of an
  `Evaluation`; either way the result is a typed `Graded`.
- `ask`: one model call whose tokens and cost are added to a `Usage`, the only place usage is
  counted (the loop's report and the benchmark's results read the same count).
- `final_answer`: the fastest correct candidates as first measured are re-timed with fresh
  pairs (`REMEASURE_TOP` of them) and the result names both the fastest re-measured one (the
  benchmark's answer, clipped at 1 by the metrics) and the fastest measurably faster one
  (the only answer `lessonl optimize` proposes). Incorrect code never wins.

The harness is reached through `HarnessLike` and made by a `HarnessFactory` (default: the
real `lessonl.harness.Harness`), the seam that lets tests of the loop's logic run against an
in-process fake harness instead of compiling C++ (tests/fakes/harness.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from lessonl import regions
from lessonl.harness import Evaluation, Harness, Project
from lessonl.harness.outcomes import Outcome
from lessonl.harness.stats import measurably_faster
from lessonl.llm.types import Agent, SampleId

if TYPE_CHECKING:
    from lessonl.config import TargetConfig
    from lessonl.llm.types import Usage

log = logging.getLogger(__name__)

#: How many of the fastest correct variants are re-timed before picking the answer.
REMEASURE_TOP = 3

NO_CODE_BLOCK = "the reply contained no fenced code block"


# --------------------------------------------------------------------------- the harness seam


class HarnessLike(Protocol):
    """What grading needs of a harness: `lessonl.harness.Harness` is the real one."""

    async def baseline(self) -> Evaluation: ...
    async def evaluate(self, files: Mapping[str, str], *, label: str) -> Evaluation: ...
    async def retime(self, evaluation: Evaluation) -> Evaluation: ...


class HarnessFactory(Protocol):
    """Makes the harness of one run (the `Harness` class itself is one): an async context
    manager whose exit kills leftover processes and removes build folders."""

    def __call__(
        self,
        project: Project,
        target: TargetConfig,
        *,
        run_id: str,
        baseline_overrides: Mapping[str, str] | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> AbstractAsyncContextManager[HarnessLike]: ...


#: The factory used unless a caller passes its own.
DEFAULT_HARNESS: HarnessFactory = Harness


# --------------------------------------------------------------------------- grading one answer


@dataclass(frozen=True)
class NotBuilt:
    """The grade of a reply that never reached the compiler: no fenced code block, or the
    answer lacks the target function; also (outcome "incorrect") a variant the skeptic
    refuted after the harness judged it (lessonl/auto/skeptic.py). Same attributes the
    prompts read from an Evaluation."""

    detail: str
    outcome: str = "not_compilable"
    speedup: float | None = None
    ci95: tuple[float, float] | None = None


#: A reply's grade: the harness's verdict, or why it never got that far.
Grade = Evaluation | NotBuilt


@dataclass(frozen=True)
class Subject:
    """What answers are graded against: the original text of `file` (the target's file,
    relative to the project root), its language and the target function (None: whole file)."""

    source: str
    language: str
    function: str | None
    file: str


@dataclass(frozen=True)
class Graded:
    """One reply, graded. `code` is None when the reply had no code block; `parts` is None
    when the code was never spliced (then `evaluation` is a `NotBuilt`)."""

    code: str | None
    parts: regions.SpliceResult | None
    evaluation: Grade

    @property
    def outcome(self) -> str:
        return str(self.evaluation.outcome)

    @property
    def correct(self) -> bool:
        return self.outcome == Outcome.CORRECT

    @property
    def speedup(self) -> float | None:
        """The first measured speedup; None unless correct (and timed with trust)."""
        return self.evaluation.speedup if self.correct else None

    @property
    def ci95(self) -> tuple[float, float] | None:
        ci = self.evaluation.ci95
        return (ci[0], ci[1]) if ci else None

    @property
    def detail(self) -> str:
        return self.evaluation.detail or ""

    @property
    def new_text(self) -> str | None:
        """The whole new file the harness built, when it got that far."""
        return self.parts.text if self.parts is not None else None

    @property
    def measured(self) -> Evaluation | None:
        """The harness's Evaluation, for re-timing; None for a `NotBuilt` grade."""
        return self.evaluation if isinstance(self.evaluation, Evaluation) else None


async def grade(
    harness: HarnessLike, subject: Subject, reply: str, *, label: str, who: str | None = None
) -> Graded:
    """Extract the reply's code, splice it into `subject.file` and let the harness grade it.

    Never raises for a bad answer (that is a grade); harness errors (a failing baseline, a
    path the target does not own) propagate. Parts of the answer that were not used are
    logged (as `who`, default `label`): a variant is never measured as less than the model's
    answer silently. `label` names the variant's build folder."""
    code = regions.extract_code(reply, subject.language)
    if code is None:
        return Graded(code=None, parts=None, evaluation=NotBuilt(NO_CODE_BLOCK))
    try:
        parts = regions.splice_parts(subject.source, subject.language, subject.function, code)
    except regions.SpliceError as exc:  # a model defect: graded, never raised to the user
        return Graded(code=code, parts=None, evaluation=NotBuilt(str(exc)))
    _warn_unused(parts.ignored, who or label)
    evaluation = await harness.evaluate({subject.file: parts.text}, label=label)
    return Graded(code=code, parts=parts, evaluation=evaluation)


_NAMES_SHOWN = 5  # an unused-parts warning names this many, then counts the rest


def _warn_unused(ignored: Sequence[regions.AnswerPart], who: str) -> None:
    """One warning per distinct reason, naming the parts: a small model that echoes the whole
    file of a real project (toolz's itertoolz.py) gave eighteen identical lines otherwise."""
    by_reason: dict[str, list[str]] = {}
    for part in ignored:
        by_reason.setdefault(part.reason, []).append(part.name)
    for reason, names in by_reason.items():
        if len(names) == 1:
            log.warning("%s: part of the answer not used: %s (%s)", who, names[0], reason)
            continue
        shown = ", ".join(names[:_NAMES_SHOWN])
        more = f" and {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else ""
        log.warning(
            "%s: %d parts of the answer not used: %s%s (%s)",
            who,
            len(names),
            shown,
            more,
            reason,
        )


# --------------------------------------------------------------------------- asking a model


async def ask(
    agent: Agent,
    prompt: str,
    usage: Usage,
    *,
    temperature: float,
    max_tokens: int,
    sample: SampleId,
) -> str:
    """One user message, no history; its tokens and cost are added to `usage` (once)."""
    completion = await agent.model.complete(
        [{"role": "user", "content": prompt}],
        temperature=temperature,
        max_tokens=max_tokens,
        sample=sample,
    )
    usage.add(completion.input_tokens, completion.output_tokens, completion.cost_usd)
    return completion.text


# --------------------------------------------------------------------------- the final answer


class Candidate(Protocol):
    """A graded sample that may become the answer (the loop's VariantRecord, a bench Attempt)."""

    @property
    def agent(self) -> str: ...
    @property
    def round(self) -> int: ...
    @property
    def grade(self) -> Graded | None: ...


C = TypeVar("C", bound=Candidate)


@dataclass(frozen=True)
class Remeasured(Generic[C]):
    """A candidate re-timed with fresh pairs: `first_speedup` as first measured, `again` the
    new Evaluation."""

    candidate: C
    first_speedup: float
    again: Evaluation

    @property
    def speedup(self) -> float | None:
        return self.again.speedup if self.again.outcome == Outcome.CORRECT else None

    @property
    def ci95(self) -> tuple[float, float] | None:
        ci = self.again.ci95
        return (ci[0], ci[1]) if ci and self.speedup is not None else None

    @property
    def verified(self) -> bool:
        """Measurably faster than the original: the re-measured interval lies above 1."""
        return self.speedup is not None and measurably_faster(self.ci95)

    def to_json(self) -> dict[str, object]:
        """One entry of the report's `remeasured` list (docs/contracts.md)."""
        return {
            "agent": self.candidate.agent,
            "round": self.candidate.round,
            "first_speedup": self.first_speedup,
            "speedup": self.again.speedup,
            "ci95": list(self.again.ci95) if self.again.ci95 else None,
        }


@dataclass(frozen=True)
class FinalAnswer(Generic[C]):
    """The re-measurements, in the order they were made (fastest first measured first)."""

    remeasured: tuple[Remeasured[C], ...] = ()

    @property
    def fastest(self) -> Remeasured[C] | None:
        """The benchmark's answer: the fastest re-measured correct candidate, even when it is
        not measurably faster (the metrics clip it at 1; `verified` tells)."""
        return fastest(self.remeasured)

    @property
    def verified(self) -> Remeasured[C] | None:
        """`lessonl optimize`'s answer: the fastest one that is measurably faster."""
        return fastest(r for r in self.remeasured if r.verified)


def fastest(remeasured: Iterable[Remeasured[C]]) -> Remeasured[C] | None:
    """The re-measurement with the highest speedup (the first of equals); None if none is
    correct."""
    best: Remeasured[C] | None = None
    for r in remeasured:
        if r.speedup is None:
            continue
        if best is None or r.speedup > (best.speedup or 0.0):
            best = r
    return best


def on_evidence(
    remeasured: Iterable[Remeasured[C]],
    change_size: Callable[[C], int],
    strength: Callable[[C], float] | None = None,
) -> tuple[Remeasured[C] | None, str | None]:
    """`lessonl optimize`'s answer and why: among the measurably faster re-measurements, those
    whose 95% interval overlaps the fastest one's are not told apart by the timing (2.01x
    [1.72, 2.49] is no evidence of beating 1.84x [1.73, 1.93]); of those, the stronger
    verification (`strength`, higher is stronger) and then the smaller change
    (`change_size`, changed lines) wins, the point estimate only breaking the last tie. A
    smaller change is less to review and less room for a wrong one."""
    verified = [r for r in remeasured if r.verified]
    top = fastest(verified)
    if top is None or top.ci95 is None:
        return top, None
    low = top.ci95[0]
    tied = [r for r in verified if r.ci95 is not None and r.ci95[1] >= low]
    if len(tied) < 2:
        others = len(verified) - 1
        return top, (
            f"the fastest, and its interval is above the {others} other measurably faster "
            "variant(s)"
            if others
            else None
        )

    def rank(r: Remeasured[C]) -> tuple[float, int, float]:
        sure = strength(r.candidate) if strength is not None else 0.0
        return (-sure, change_size(r.candidate), -(r.speedup or 0.0))

    chosen = min(tied, key=rank)
    rivals = [r for r in tied if r is not chosen]
    shown = ", ".join(
        f"{r.candidate.agent}'s {r.speedup:.2f}x [{r.ci95[0]:.2f}, {r.ci95[1]:.2f}] "
        f"(round {r.candidate.round + 1})"
        for r in rivals
        if r.ci95 is not None and r.speedup is not None
    )
    why = (
        "the smallest change"
        if strength is None
        else "the strongest verification, then the smallest change"
    )
    return chosen, (
        f"its interval overlaps {shown}: timing cannot tell them apart, so {why} wins "
        f"({change_size(chosen.candidate)} changed lines)"
    )


def correct_candidates(candidates: Iterable[C]) -> list[C]:
    """The correct, timed candidates, fastest first measured first (stable among equals)."""

    def first(c: C) -> float | None:
        return c.grade.speedup if c.grade is not None else None

    timed = [c for c in candidates if first(c) is not None]
    return sorted(timed, key=lambda c: first(c) or 0.0, reverse=True)


async def final_answer(
    harness: HarnessLike,
    candidates: Sequence[C],
    *,
    top: int = REMEASURE_TOP,
    on_remeasured: Callable[[Remeasured[C]], None] | None = None,
) -> FinalAnswer[C]:
    """Re-time the `top` fastest correct candidates with fresh pairs; one lucky timing never
    decides. `on_remeasured` sees each re-measurement as it is made (a cancelled run's report
    keeps the ones it got)."""
    done: list[Remeasured[C]] = []
    for candidate in correct_candidates(candidates)[:top]:
        graded = candidate.grade
        assert graded is not None and graded.measured is not None and graded.speedup is not None
        again = await harness.retime(graded.measured)
        r = Remeasured(candidate=candidate, first_speedup=graded.speedup, again=again)
        done.append(r)
        if on_remeasured is not None:
            on_remeasured(r)
    return FinalAnswer(remeasured=tuple(done))
