"""The run report: what `lessonl optimize --json` prints and `.lessonl/runs/<id>/report.json` keeps.

The JSON shape is a public contract (docs/contracts.md): `run_id, target, function, best, rounds,
lessons_added, usage, wall_s`. We extend it (never rename) with `stopped`, `errors`, `file`,
`team`, `summary`, and inside `best` with `lessons` (the ids of the lessons shown in the prompt
that produced the winner; the editor records accept/reject against them), `new_text` and
`answer_parts`; each variant of `rounds` gets `answer_parts` too: which parts of the answer
were used (the target, rewritten own helpers, new helpers, includes) and which were not, and
why, so a report never shows a variant as the model's code when part of it never ran.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lessonl.atomic import write_text
from lessonl.llm.types import Usage

if TYPE_CHECKING:
    from lessonl.grading import Graded, Remeasured


@dataclass
class VariantRecord:
    """One agent's attempt in one round. What its grade says (outcome, speedup, interval,
    detail, code, new text, answer parts) is read from `grade`, never copied: a refuted
    variant's new grade changes every one of them at once."""

    agent: str
    round: int
    lesson_id: str | None = None
    error: str | None = None
    shown_lessons: tuple[str, ...] = ()
    grade: Graded | None = None  # None: the agent sat out (error) or was not graded yet
    # The skeptic's verdict on a would-be winner (lessonl.auto.skeptic.Verdict.to_json()); None
    # when it was not attacked.
    skeptic: dict[str, Any] | None = None

    @property
    def outcome(self) -> str | None:
        return self.grade.outcome if self.grade is not None else None

    @property
    def speedup(self) -> float | None:
        return self.grade.speedup if self.grade is not None else None

    @property
    def ci95(self) -> tuple[float, float] | None:
        return self.grade.ci95 if self.grade is not None else None

    @property
    def detail(self) -> str:
        return self.grade.detail if self.grade is not None else ""

    @property
    def code(self) -> str | None:
        return self.grade.code if self.grade is not None else None

    @property
    def new_text(self) -> str | None:
        return self.grade.new_text if self.grade is not None else None

    @property
    def answer_parts(self) -> dict[str, Any] | None:
        """Which parts of the answer were spliced in and which were not, and why
        (`regions.SpliceResult.to_json()`); None when the answer never got that far."""
        if self.grade is None or self.grade.parts is None:
            return None
        return self.grade.parts.to_json()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "agent": self.agent,
            "outcome": self.outcome,
            "speedup": self.speedup,
            "lesson_id": self.lesson_id,
        }
        if self.ci95 is not None:
            data["ci95"] = list(self.ci95)
        if self.detail:
            data["detail"] = self.detail
        if self.error:
            data["error"] = self.error
        if self.answer_parts is not None:
            data["answer_parts"] = self.answer_parts
        if self.skeptic is not None:
            data["skeptic"] = self.skeptic
        return data


@dataclass
class RoundRecord:
    round: int
    variants: list[VariantRecord] = field(default_factory=list)
    shown_lessons: tuple[str, ...] = ()
    best_speedup: float | None = None  # best correct speedup so far, after this round
    # With carry_forward: the variant this round's agents rewrote instead of the original
    # ({"agent", "round" (1-based), "speedup"}), None when they rewrote the original.
    carried_from: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "round": self.round,
            "best_speedup": self.best_speedup,
            "lessons_shown": list(self.shown_lessons),
            "variants": [v.to_json() for v in self.variants],
        }
        if self.carried_from is not None:
            data["carried_from"] = self.carried_from
        return data


@dataclass
class BestVariant:
    speedup: float
    ci95: tuple[float, float] | None
    code: str
    diff: str
    agent: str
    round: int
    lessons: tuple[str, ...]
    new_text: str
    answer_parts: dict[str, Any] | None = None
    # Which clock the speedup is in and the evidence for it (Evaluation.clock/clock_reason of
    # the measurement behind `speedup`); None when that measurement is not at hand.
    clock: str | None = None
    clock_reason: str | None = None
    # Why this one among the measurably faster variants (grading.on_evidence); None when it
    # was the only one.
    chosen_because: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "speedup": self.speedup,
            "ci95": list(self.ci95) if self.ci95 else None,
            "code": self.code,
            "diff": self.diff,
            "agent": self.agent,
            "round": self.round,
            "lessons": list(self.lessons),
            "new_text": self.new_text,
            "answer_parts": self.answer_parts,
            "clock": self.clock,
            "clock_reason": self.clock_reason,
            "chosen_because": self.chosen_because,
        }


@dataclass
class RunReport:
    run_id: str
    target: str
    function: str | None
    file: str
    team: str = ""
    best: BestVariant | None = None
    rounds: list[RoundRecord] = field(default_factory=list)
    lessons_added: int = 0
    usage: Usage = field(default_factory=Usage)
    wall_s: float = 0.0
    stopped: str = "running"
    errors: list[str] = field(default_factory=list)
    summary: str = ""
    # The final answer's re-measurements (lessonl.grading.final_answer), in the order made.
    remeasured: list[Remeasured[VariantRecord]] = field(default_factory=list)
    # How correctness was judged: the target's own test, or recorded calls (lessonl/auto).
    verification: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "target": self.target,
            "function": self.function,
            "file": self.file,
            "team": self.team,
            "best": self.best.to_json() if self.best else None,
            "rounds": [r.to_json() for r in self.rounds],
            "lessons_added": self.lessons_added,
            "usage": self.usage.to_json(),
            "wall_s": round(self.wall_s, 3),
            "stopped": self.stopped,
            "errors": self.errors,
            "summary": self.summary,
            "remeasured": [r.to_json() for r in self.remeasured],
            "verification": self.verification,
        }

    def write(self, runs_dir: Path) -> Path:
        """Write `runs_dir/<run_id>/report.json` atomically (a reader never sees half a file)."""
        folder = runs_dir / self.run_id
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "report.json"
        return write_text(path, json.dumps(self.to_json(), indent=2) + "\n")
