"""Progress events of a LessonL run.

The loop emits these small frozen dataclasses through a callback; the CLI renders them with
rich, the language server turns them into `$/progress` reports and `lessonl/status`
notifications. Keeping them plain data (no rich, no LSP types) is what lets the engine stay
ignorant of its front ends. `kind` is the stable wire name; `message()` a short human line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar


def _fmt_speedup(speedup: float | None) -> str:
    return f"{speedup:.2f}x" if speedup is not None else "none yet"


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = "event"

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["kind"] = self.kind
        return data

    def message(self) -> str:
        return self.kind


@dataclass(frozen=True)
class RunStarted(Event):
    kind: ClassVar[str] = "run_started"
    run_id: str
    target: str
    function: str | None
    team: str
    agents: tuple[str, ...]
    rounds: int
    # Which bwrap sandboxes the commands ("bubblewrap 0.11.0 (PATH, wheel)"), or why none.
    sandbox: str = ""

    def message(self) -> str:
        what = f"`{self.function}`" if self.function else "the file"
        return f"optimizing {what} ({self.target}) with {self.team}; {self.rounds} rounds"


@dataclass(frozen=True)
class RoundStarted(Event):
    kind: ClassVar[str] = "round_started"
    round: int
    rounds: int
    lesson_ids: tuple[str, ...]

    def message(self) -> str:
        return f"round {self.round + 1}/{self.rounds}: {len(self.lesson_ids)} lessons shown"


@dataclass(frozen=True)
class AgentRequesting(Event):
    kind: ClassVar[str] = "agent_requesting"
    round: int
    agent: str

    def message(self) -> str:
        return f"round {self.round + 1}: {self.agent} is writing a variant"


@dataclass(frozen=True)
class VariantEvaluated(Event):
    kind: ClassVar[str] = "variant_evaluated"
    round: int
    agent: str
    outcome: str
    speedup: float | None
    ci95: tuple[float, float] | None
    detail: str

    def message(self) -> str:
        if self.outcome == "correct" and self.speedup is not None:
            return f"round {self.round + 1}: {self.agent}: correct, {self.speedup:.2f}x"
        return f"round {self.round + 1}: {self.agent}: {self.outcome.replace('_', ' ')}"


@dataclass(frozen=True)
class LessonAdded(Event):
    kind: ClassVar[str] = "lesson_added"
    round: int
    agent: str
    lesson_id: str
    text: str

    def message(self) -> str:
        return f"round {self.round + 1}: lesson {self.lesson_id} from {self.agent}"


@dataclass(frozen=True)
class AgentFailed(Event):
    kind: ClassVar[str] = "agent_failed"
    round: int
    agent: str
    error: str

    def message(self) -> str:
        return f"round {self.round + 1}: {self.agent} sat out: {self.error}"


@dataclass(frozen=True)
class Waiting(Event):
    """The run is waiting for the machine-wide timing lock (another lessonl process is timing,
    building or testing): the line explains a pause that would otherwise look like a hang."""

    kind: ClassVar[str] = "waiting"
    message_text: str

    def message(self) -> str:
        return self.message_text


@dataclass(frozen=True)
class RoundFinished(Event):
    kind: ClassVar[str] = "round_finished"
    round: int
    rounds: int
    round_best_speedup: float | None
    best_speedup: float | None

    def message(self) -> str:
        return f"round {self.round + 1}/{self.rounds} · best {_fmt_speedup(self.best_speedup)}"


@dataclass(frozen=True)
class RunFinished(Event):
    kind: ClassVar[str] = "run_finished"
    run_id: str
    stopped: str
    best_speedup: float | None
    wall_s: float

    def message(self) -> str:
        return (
            f"run {self.run_id} {self.stopped}: best {_fmt_speedup(self.best_speedup)} "
            f"in {self.wall_s:.0f}s"
        )


EventCallback = Callable[[Event], None]
