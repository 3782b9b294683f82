"""The result of evaluating one variant: `Outcome` and `Evaluation`.

`Outcome` is a `StrEnum`, so `evaluation.outcome == "correct"` works and JSON gets the plain
string; callers that build their own grades (the loop's "no code block") can use plain strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    NOT_COMPILABLE = "not_compilable"
    TIMEOUT = "timeout"
    CRASHED = "crashed"


@dataclass(frozen=True)
class Evaluation:
    """One variant's grade. `speedup` and `ci95` are set only when `outcome` is correct;
    `baseline_s` / `candidate_s` are the median times of the timed runs (`baseline_s` is the
    baseline's first measurement when the variant never got to timing)."""

    id: str
    label: str
    outcome: Outcome
    speedup: float | None = None
    ci95: tuple[float, float] | None = None
    baseline_s: float | None = None
    candidate_s: float | None = None
    pairs: int = 0
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        """Exactly the `lessonl evaluate --json` object of architecture.md."""
        correct = self.outcome == Outcome.CORRECT
        return {
            "outcome": str(self.outcome),
            "speedup": _round(self.speedup) if correct else None,
            "ci95": [_round(self.ci95[0]), _round(self.ci95[1])] if correct and self.ci95 else None,
            "baseline_s": _round(self.baseline_s, 6),
            "candidate_s": _round(self.candidate_s, 6),
            "pairs": self.pairs,
            "detail": self.detail,
        }


def first_line(detail: str) -> str:
    """A detail's first non-blank line, bounded: the one-line summary of a failure. Compiler
    details start at the first line naming an error (see the harness), so this is the error."""
    for line in detail.splitlines():
        if line.strip():
            return line.strip()[:300]
    return "no output"


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)
