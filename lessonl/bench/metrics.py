"""Per-problem results and the suite metrics of docs/method.md section 6.

Definitions (the same for every strategy, so the numbers compare):

- A problem's *answer* is its best correct variant, re-measured (incorrect code never wins).
  `speedup` is that re-measured ratio of lower quartiles, and may be below 1 when nothing beat the
  original. No correct variant at all: the answer is not correct and `speedup` is None.
- *clipped speedup* of a problem: max(1, s) for a correct answer, 1 otherwise. A user would keep
  the original code rather than a slower or wrong rewrite, so neither counts below 1 (the
  paper's convention).
- `correctness`: share of problems whose answer is correct.
- `geomean_speedup`: geometric mean of the clipped speedups; `mean_speedup` their arithmetic
  mean (which large wins dominate, hence both are shown).
- `geomean_verified`: the same geometric mean counting only answers that are *measurably*
  faster (`verified`: the re-measured 95% interval lies above 1 + NOISE_MARGIN); any other
  answer counts as 1. The paper's metric takes the point ratio, so an unchanged variant whose
  re-measurement came out at 1.2x by noise lifts it; this one cannot be lifted that way.
- `share_ge_2x`: share of problems with a correct answer and s >= 2.
- `best_by_round[t]`: geometric mean over problems of the clipped best speedup found up to and
  including round t, as first measured (the paper's Figure 3). A problem that stopped early
  keeps its last value.

- `paired` (ours): every two arms A, B on their common problems; A won a problem if its
  answer is measurably faster than B's (A's clipped interval lies wholly above B's), lost if
  measurably slower, tied otherwise (`compare`, `answer_interval`).

Problems whose run failed with an error count as not correct (speedup 1): dropping them would
flatter a strategy that crashes on the hard ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from lessonl.harness.stats import measurably_faster

CORRECT = "correct"
#: Outcome of a pair whose run raised an error (model unreachable, baseline broken, ...).
ERROR = "error"
#: Outcome when a strategy produced no variant at all (every reply lacked code, say).
NO_ANSWER = "no_answer"


@dataclass
class ProblemResult:
    """What one strategy achieved on one problem; stored as results/<strategy>/<problem>.json."""

    problem: str
    strategy: str
    category: str
    language: str
    outcome: str
    speedup: float | None = None
    ci95: tuple[float, float] | None = None
    verified: bool = False  # the re-measured 95% interval lies above 1.0
    round_best: list[float | None] = field(default_factory=list)
    rounds: int = 0
    samples: int = 0  # code-writing model calls (the budget the strategies share)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0
    wall_s: float = 0.0
    agent: str | None = None
    answer_round: int | None = None
    code: str | None = None
    error: str | None = None
    #: How many samples ended in each outcome, e.g. {"not_compilable": 4, "incorrect": 2}.
    outcomes: dict[str, int] = field(default_factory=dict)
    #: Without a correct answer: the first line of why a sample with `outcome` failed (the
    #: compiler's error, the check's message), so a report says why, not only that.
    detail: str | None = None
    settings: str = ""  # fingerprint of what the run depended on; resume reruns on change
    #: Where the pair's baseline and variants were built and timed (every time behind
    #: `speedup` comes from this one machine): the Ray node id on a cluster (`bench --ray`),
    #: None in a local run; and that machine's host name.
    node: str | None = None
    host: str | None = None
    #: The `lessonl` arm only: every lesson its pair's bank held at the end (`Lesson.to_json`
    #: records), kept in its stored pair JSON (never in results.json) so that the
    #: `lessonl_transfer` pairs can start from them; None in a result from before they were
    #: kept.
    lessons: list[dict[str, Any]] | None = None
    #: `lessonl_transfer` only: how many lessons (of the other problems) its bank started with.
    warm_lessons: int | None = None
    #: The loop arms: how many lessons from the bank round 0's prompts showed.
    round0_lessons: int | None = None

    @property
    def correct(self) -> bool:
        return self.outcome == CORRECT and self.speedup is not None

    @property
    def clipped(self) -> float:
        """max(1, s) for a correct answer, 1 otherwise."""
        return max(1.0, self.speedup) if self.correct and self.speedup is not None else 1.0

    def set_answer(
        self,
        speedup: float,
        ci95: Sequence[float] | None,
        *,
        agent: str | None,
        round: int | None,
        code: str | None,
    ) -> None:
        """Record the final answer: a correct variant re-measured at `speedup` (interval `ci95`).
        `verified` follows from the interval, and the failure `detail` no longer applies."""
        self.outcome = CORRECT
        self.speedup = float(speedup)
        self.ci95 = (float(ci95[0]), float(ci95[1])) if ci95 else None
        self.verified = measurably_faster(ci95)
        self.agent = agent
        self.answer_round = round
        self.code = code
        self.detail = None

    @property
    def clipped_verified(self) -> float:
        """`clipped` for a measurably faster answer, 1 otherwise."""
        return self.clipped if self.verified else 1.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ci95"] = list(self.ci95) if self.ci95 else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProblemResult:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        if values.get("ci95") is not None:
            values["ci95"] = tuple(values["ci95"])
        return cls(**values)


def geomean(values: Iterable[float]) -> float | None:
    """Geometric mean of positive numbers; None for an empty sequence."""
    arr = np.asarray(list(values), dtype=float)
    if arr.size == 0:
        return None
    if np.any(arr <= 0):
        raise ValueError("geometric mean of non-positive values")
    return float(np.exp(np.mean(np.log(arr))))


def best_by_round(results: Sequence[ProblemResult], rounds: int | None = None) -> list[float]:
    """Figure 3: per round, the geometric mean of each problem's clipped best-so-far speedup."""
    if not results:
        return []
    n = rounds if rounds is not None else max((len(r.round_best) for r in results), default=0)
    curve: list[float] = []
    for t in range(n):
        per_problem = []
        for r in results:
            seen = [s for s in r.round_best[: t + 1] if s is not None]
            per_problem.append(max(1.0, max(seen)) if seen else 1.0)
        value = geomean(per_problem)
        curve.append(value if value is not None else 1.0)
    return curve


@dataclass
class Summary:
    """The metrics of one strategy over a set of problems."""

    problems: int
    correctness: float
    geomean_speedup: float
    geomean_verified: float
    share_ge_2x: float
    mean_speedup: float
    best_by_round: list[float]
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    wall_s: float
    errors: int

    def to_json(self) -> dict[str, Any]:
        return {
            "n_problems": self.problems,
            "correctness": _r(self.correctness),
            "geomean_speedup": _r(self.geomean_speedup),
            "geomean_verified": _r(self.geomean_verified),
            "share_ge_2x": _r(self.share_ge_2x),
            "mean_speedup": _r(self.mean_speedup),
            "best_speedup_by_round": [_r(v) for v in self.best_by_round],
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "tokens": self.input_tokens + self.output_tokens,
            "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
            "wall_s": round(self.wall_s, 3),
            "errors": self.errors,
        }


def summarize(results: Sequence[ProblemResult], rounds: int | None = None) -> Summary:
    """The docs/method.md section 6 metrics of `results` (one strategy's problems)."""
    n = len(results)
    clipped = [r.clipped for r in results]
    cost: float | None = 0.0
    for r in results:
        # One unknown price makes the total unknown: a partial sum would look like a real one.
        cost = None if cost is None or r.cost_usd is None else cost + r.cost_usd
    return Summary(
        problems=n,
        correctness=sum(r.correct for r in results) / n if n else 0.0,
        geomean_speedup=geomean(clipped) or 1.0,
        geomean_verified=geomean(r.clipped_verified for r in results) or 1.0,
        share_ge_2x=(
            sum(1 for r in results if r.correct and (r.speedup or 0.0) >= 2.0) / n if n else 0.0
        ),
        mean_speedup=float(np.mean(clipped)) if n else 1.0,
        best_by_round=best_by_round(results, rounds),
        input_tokens=sum(r.input_tokens for r in results),
        output_tokens=sum(r.output_tokens for r in results),
        cost_usd=cost,
        wall_s=sum(r.wall_s for r in results),
        errors=sum(1 for r in results if r.outcome == ERROR),
    )


def by_category(results: Sequence[ProblemResult]) -> dict[str, Summary]:
    """`summarize` per problem category, categories sorted by name."""
    groups: dict[str, list[ProblemResult]] = {}
    for r in results:
        groups.setdefault(r.category, []).append(r)
    return {cat: summarize(group) for cat, group in sorted(groups.items())}


def _r(value: float) -> float:
    return round(value, 4) if math.isfinite(value) else value


# ------------------------------------------------------------------------------- paired

WON, LOST, TIED = "won", "lost", "tied"


def answer_interval(r: ProblemResult) -> tuple[float, float]:
    """The re-measured 95% interval of `r`'s answer for the paired comparison, clipped at 1 as
    the metrics clip speedups (a user keeps the original over a slower or wrong rewrite): an
    incorrect or missing answer is [1, 1]; a correct one without an interval, which cannot be
    shown faster than anything, is [1, max(1, s)]."""
    if not r.correct or r.speedup is None:
        return (1.0, 1.0)
    if r.ci95 is None:
        return (1.0, max(1.0, r.speedup))
    return (max(1.0, r.ci95[0]), max(1.0, r.ci95[1]))


def compare(a: ProblemResult, b: ProblemResult) -> str:
    """WON if `a`'s answer is measurably faster than `b`'s (a's interval lies wholly above b's),
    LOST if measurably slower, TIED otherwise: noise between two answers never decides."""
    a_lo, a_hi = answer_interval(a)
    b_lo, b_hi = answer_interval(b)
    if a_lo > b_hi:
        return WON
    if b_lo > a_hi:
        return LOST
    return TIED


@dataclass
class Paired:
    """Arm `a` against arm `b` on the problems both ran: per problem WON/LOST/TIED (for a)."""

    a: str
    b: str
    problems: dict[str, str]

    def count(self, verdict: str) -> int:
        return sum(1 for v in self.problems.values() if v == verdict)

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "n_problems": len(self.problems),
            "won": self.count(WON),
            "lost": self.count(LOST),
            "tied": self.count(TIED),
            "problems": dict(self.problems),
        }

    def line(self) -> str:
        """'A vs B: won W, lost L, tied T of N', the report's and the CLI's wording."""
        return (
            f"{self.a} vs {self.b}: won {self.count(WON)}, lost {self.count(LOST)}, "
            f"tied {self.count(TIED)} of {len(self.problems)}"
        )


def paired(results: Mapping[str, Sequence[ProblemResult]]) -> list[Paired]:
    """Every pair of arms (a before b in `results`' order) with the problems both ran, in a's
    order; a pair of arms without a common problem is left out."""
    names = list(results)
    out: list[Paired] = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            theirs = {r.problem: r for r in results[b]}
            verdicts = {
                r.problem: compare(r, theirs[r.problem]) for r in results[a] if r.problem in theirs
            }
            if verdicts:
                out.append(Paired(a=a, b=b, problems=verdicts))
    return out
