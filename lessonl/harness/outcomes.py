"""The result of evaluating one variant: `Outcome` and `Evaluation`.

`Outcome` is a `StrEnum`, so `evaluation.outcome == "correct"` works and JSON gets the plain
string; callers that build their own grades (the loop's "no code block") can use plain strings.
"""

from __future__ import annotations

import re
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
    `baseline_s` / `candidate_s` are the typical (lower-quartile) times of the timed runs
    (`baseline_s` is the baseline's first measurement when the variant never got to timing), in
    the bench's own figures.

    Timing details (see lessonl/harness/measure.py): `clock` says which estimate `speedup` is
    ("cpu": CPU time, "bench": the bench's own figures); `speedup_bench`/`ci95_bench` and
    `speedup_cpu`/`ci95_cpu` are both estimates (cpu None when CPU time is not valid for this
    code), `baseline_cpu_s`/`candidate_cpu_s` the typical figures behind the cpu one. A correct
    variant whose timing cannot be trusted has `speedup` and `ci95` None and says why in `detail`.
    `clock_reason` is the evidence behind `clock` in one line (what the bench's figures were
    found to be). `lock_wait_s` is the time this evaluation spent waiting for the machine-wide
    timing lock (other runs' timing, builds and tests), so waiting is told apart from
    measuring."""

    id: str
    label: str
    outcome: Outcome
    speedup: float | None = None
    ci95: tuple[float, float] | None = None
    baseline_s: float | None = None
    candidate_s: float | None = None
    pairs: int = 0
    detail: str = ""
    clock: str | None = None
    speedup_bench: float | None = None
    ci95_bench: tuple[float, float] | None = None
    speedup_cpu: float | None = None
    ci95_cpu: tuple[float, float] | None = None
    baseline_cpu_s: float | None = None
    candidate_cpu_s: float | None = None
    clock_reason: str = ""
    lock_wait_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The `lessonl evaluate --json` object of docs/contracts.md: its seven original keys,
        then the timing details added later (never renamed)."""
        correct = self.outcome == Outcome.CORRECT
        return {
            "outcome": str(self.outcome),
            "speedup": _round(self.speedup) if correct else None,
            "ci95": _pair(self.ci95) if correct else None,
            "baseline_s": _round(self.baseline_s, 6),
            "candidate_s": _round(self.candidate_s, 6),
            "pairs": self.pairs,
            "detail": self.detail,
            "clock": self.clock if correct else None,
            "speedup_bench": _round(self.speedup_bench) if correct else None,
            "ci95_bench": _pair(self.ci95_bench) if correct else None,
            "speedup_cpu": _round(self.speedup_cpu) if correct else None,
            "ci95_cpu": _pair(self.ci95_cpu) if correct else None,
            "baseline_cpu_s": _round(self.baseline_cpu_s, 6) if correct else None,
            "candidate_cpu_s": _round(self.candidate_cpu_s, 6) if correct else None,
            "clock_reason": self.clock_reason if correct else None,
            "lock_wait_s": round(float(self.lock_wait_s), 3),
        }


def first_line(detail: str) -> str:
    """A detail's first non-blank line, bounded: the one-line summary of a failure. Compiler
    details start at the first line naming an error (see the harness), so this is the error.
    A Python traceback is the exception: its first line only names the entry point (`File
    "bench/main.py", line 73, in <module>` for every failure of a bench problem), so the
    summary keeps what comes before the traceback ("test failed (exit status 1):") and adds
    the traceback's last unindented line."""
    lines = [line for line in detail.splitlines() if line.strip()]
    if not lines:
        return "no output"
    head = lines[0].strip()
    if any(_TRACEBACK.search(line) for line in lines):
        exception = next(
            (s.strip() for s in reversed(lines) if not s[0].isspace() and not _TRACEBACK.search(s)),
            None,
        )
        if exception is not None and exception != head:
            mark = _TRACEBACK.search(head)
            lead = head[: mark.start()].strip() if mark is not None else ""
            return f"{lead} {exception}".strip()[:300]
    return head[:300]


# The opening line of a Python traceback, or one of its frames.
_TRACEBACK = re.compile(r'Traceback \(most recent call last\):|File "[^"]*", line \d+')


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def _pair(values: tuple[float, float] | None) -> list[float | None] | None:
    return None if values is None else [_round(values[0]), _round(values[1])]
