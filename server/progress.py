"""What the user reads while a run goes: built here, once, from the engine's typed events.

Every progress line comes from `describe` (the round, the best speedup so far, what just
happened), written from the events' fields (`lessonl/events.py`), never by editing the engine's
own `message()` text. `Reporter` sends it on the one channel meant for it: `$/progress` on the
run's work-done token. `lessonl/status` is sent only where it adds something:

- a run without a token (a client without work-done progress): every event, since the status
  notification is then the only progress the client gets;
- a run with a token: only `run_started`, `lesson_added` and `run_finished`, whose data (the run
  id, a new lesson in the bank, how the run stopped) the progress text does not carry; the
  extension refreshes its Lessons view on `lesson_added`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future as ThreadFuture
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from lessonl.events import (
    AgentFailed,
    AgentRequesting,
    Event,
    LessonAdded,
    RoundFinished,
    RoundStarted,
    RunFinished,
    RunStarted,
    VariantEvaluated,
)

from . import wire

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)

#: The events sent as `lessonl/status` beside `$/progress` (see the module docstring).
STATUS_WITH_PROGRESS = frozenset({"run_started", "lesson_added", "run_finished"})


def _speedup(value: float | None) -> str:
    return f"{value:.2f}x" if value is not None else "none yet"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass
class RunState:
    """What the events so far say: the round (1-based, as people count), the rounds, the best
    speedup and the share of rounds done (which only grows)."""

    round: int | None = None
    rounds: int | None = None
    best: float | None = None
    percentage: int = 0

    def update(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.rounds = event.rounds
        if isinstance(event, RoundStarted | RoundFinished):
            self.rounds = event.rounds
        round_ = getattr(event, "round", None)
        if isinstance(round_, int):
            self.round = round_ + 1
        if isinstance(event, RoundFinished | RunFinished) and event.best_speedup is not None:
            self.best = event.best_speedup
        if isinstance(event, RoundStarted | RoundFinished) and self.rounds and self.round:
            done = self.round - (1 if isinstance(event, RoundStarted) else 0)
            self.percentage = max(self.percentage, min(99, 100 * done // self.rounds))

    def describe(self, event: Event) -> str:
        """The progress line after `event` (call `update` with it first)."""
        if isinstance(event, RunStarted):
            what = f"`{event.function}`" if event.function else "the file"
            return (
                f"optimizing {what} ({event.target}) with {event.team}; "
                f"{_plural(event.rounds, 'round')}"
            )
        if isinstance(event, RunFinished):
            return f"{event.stopped}: best {_speedup(event.best_speedup)} in {event.wall_s:.0f} s"
        if isinstance(event, RoundFinished):
            return f"round {event.round + 1}/{event.rounds} done · best {_speedup(self.best)}"
        if isinstance(event, RoundStarted):
            what = f"{_plural(len(event.lesson_ids), 'lesson')} shown"
        elif isinstance(event, AgentRequesting):
            what = f"{event.agent} is writing a variant"
        elif isinstance(event, VariantEvaluated):
            if event.outcome == "correct" and event.speedup is not None:
                what = f"{event.agent}: correct, {event.speedup:.2f}x"
            else:
                what = f"{event.agent}: {event.outcome.replace('_', ' ')}"
        elif isinstance(event, LessonAdded):
            what = f"{event.agent} wrote lesson {event.lesson_id}"
        elif isinstance(event, AgentFailed):
            what = f"{event.agent} sat out: {event.error}"
        else:  # an event kind newer than this module: its own line
            what = event.message()
        if self.round is None:
            return what
        return f"round {self.round}/{self.rounds} · best {_speedup(self.best)} · {what}"


class Reporter:
    """One run's progress: `$/progress` on its token, `lessonl/status` as the docstring says."""

    def __init__(self, server: LanguageServer, uri: str, token: int | str | None) -> None:
        self.server = server
        self.uri = uri
        self.token = token
        self.state = RunState()
        self.on_cancel: Callable[[], None] | None = None
        self.ended = False  # a cancelled run's last events may arrive after `end`

    def begin(self, title: str) -> None:
        if self.token is None:
            return
        progress = self.server.work_done_progress
        progress.begin(
            self.token,
            types.WorkDoneProgressBegin(
                title=title, cancellable=True, message="starting", percentage=0
            ),
        )
        future = progress.tokens.get(self.token)
        if future is not None:
            future.add_done_callback(self._token_done)

    def _token_done(self, future: ThreadFuture[Any]) -> None:
        if future.cancelled() and self.on_cancel is not None:
            log.info("progress %s cancelled by the client", self.token)
            self.on_cancel()

    def event(self, event: Event) -> None:
        self.state.update(event)
        message = self.state.describe(event)
        if self.token is not None:
            if not self.ended and not isinstance(event, RunFinished):  # `end` says how it ended
                self.server.work_done_progress.report(
                    self.token,
                    types.WorkDoneProgressReport(
                        message=message, percentage=self.state.percentage, cancellable=True
                    ),
                )
            if event.kind not in STATUS_WITH_PROGRESS:
                return
        status: dict[str, Any] = {
            "uri": self.uri,
            "kind": event.kind,
            "message": message,
            "event": event.to_json(),
        }
        if self.state.round is not None:
            status["round"] = self.state.round
            status["rounds"] = self.state.rounds
        if self.state.best is not None:
            status["bestSpeedup"] = self.state.best
        self.server.protocol.notify(wire.STATUS, status)

    def end(self, message: str) -> None:
        if self.token is None or self.ended:
            return
        self.ended = True
        progress = self.server.work_done_progress
        progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        progress.tokens.pop(self.token, None)  # pygls never forgets tokens itself
