"""What the user reads while a run goes: built here, once, from the engine's typed events.

Every progress line comes from `describe` (the round, the best speedup so far, what just
happened), written from the events' fields (`lessonl/events.py`), never by editing the engine's
own `message()` text. `Reporter` sends it on the one channel meant for it: `$/progress` on the
run's work-done token. `lessonl/status` is sent only where it adds something:

- a run without a token (a client without work-done progress): every event, since the status
  notification is then the only progress the client gets;
- a run with a token: only `run_started`, `lesson_added` and `run_finished`, whose data (the run
  id, a new lesson in the bank, how the run stopped) the progress text does not carry; the
  extension refreshes its Lessons view on `lesson_added`. These carry no `round`, `rounds`,
  `bestSpeedup`: the progress already says them, and no client read them there.

The lines themselves are the server's message catalog below (`WHOLE_LINES`, `STEPS`); the CLI
keeps its own wording (`Event.message()`), since each front end words things its own way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
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
        whole = WHOLE_LINES.get(type(event))
        if whole is not None:
            return whole(event, self)
        what = STEPS.get(type(event), _own_line)(event)
        if self.round is None:
            return what
        return f"round {self.round}/{self.rounds} · best {_speedup(self.best)} · {what}"


# The server's message catalog: the one place its progress lines are written, one entry per
# event kind, each built from the event's own fields (never from the engine's `message()`,
# which is the CLI's wording). An event kind newer than this catalog falls back to that.


def _run_started(e: Any, _: RunState) -> str:
    what = f"`{e.function}`" if e.function else "the file"
    return f"optimizing {what} ({e.target}) with {e.team}; {_plural(e.rounds, 'round')}"


def _run_finished(e: Any, _: RunState) -> str:
    return f"{e.stopped}: best {_speedup(e.best_speedup)} in {e.wall_s:.0f} s"


def _round_finished(e: Any, state: RunState) -> str:
    return f"round {e.round + 1}/{e.rounds} done · best {_speedup(state.best)}"


def _variant(e: Any) -> str:
    if e.outcome == "correct" and e.speedup is not None:
        return f"{e.agent}: correct, {e.speedup:.2f}x"
    return f"{e.agent}: {e.outcome.replace('_', ' ')}"


def _own_line(e: Event) -> str:
    return e.message()


#: Events whose line stands alone (it says the round and the best itself, or there is none).
WHOLE_LINES: Mapping[type[Event], Callable[[Any, RunState], str]] = {
    RunStarted: _run_started,
    RunFinished: _run_finished,
    RoundFinished: _round_finished,
}
#: Events within a round: their line follows "round R/N · best B · ".
STEPS: Mapping[type[Event], Callable[[Any], str]] = {
    RoundStarted: lambda e: f"{_plural(len(e.lesson_ids), 'lesson')} shown",
    AgentRequesting: lambda e: f"{e.agent} is writing a variant",
    VariantEvaluated: _variant,
    LessonAdded: lambda e: f"{e.agent} wrote lesson {e.lesson_id}",
    AgentFailed: lambda e: f"{e.agent} sat out: {e.error}",
}


def status_params(
    uri: str, event: Event, message: str, state: RunState, with_progress: bool
) -> dict[str, Any]:
    """The `lessonl/status` params for `event`. `round`, `rounds` and `bestSpeedup` go only to
    a run without `$/progress` (they are then the client's only machine-readable progress);
    beside `$/progress`, whose line and percentage carry them, nothing reads them."""
    status: dict[str, Any] = {
        "uri": uri,
        "kind": event.kind,
        "message": message,
        "event": event.to_json(),
    }
    if with_progress:
        return status
    if state.round is not None:
        status["round"] = state.round
        status["rounds"] = state.rounds
    if state.best is not None:
        status["bestSpeedup"] = state.best
    return status


class Reporter:
    """One run's progress: `$/progress` on its token, `lessonl/status` as the docstring says."""

    def __init__(self, server: LanguageServer, uri: str, token: int | str | None) -> None:
        self.server = server
        self.uri = uri
        self.token = token
        self.state = RunState()
        self.on_cancel: Callable[[], None] | None = None
        self.ended = False  # a cancelled run's last events may arrive after `end`
        #: A job of several runs (a sweep): the current step's line, which prefixes its run's
        #: lines, and (steps done, steps in all), which the percentage counts.
        self.prefix = ""
        self.steps: tuple[int, int] | None = None

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

    def _percentage(self) -> int:
        if self.steps is None:
            return self.state.percentage
        done, total = self.steps
        return min(99, (100 * done + self.state.percentage) // max(total, 1))

    def _report(self, message: str) -> None:
        if self.token is not None and not self.ended:
            self.server.work_done_progress.report(
                self.token,
                types.WorkDoneProgressReport(
                    message=message, percentage=self._percentage(), cancellable=True
                ),
            )

    def step(self, line: str, done: int, total: int) -> None:
        """A new step of a job made of several runs (a sweep's next function): its line is
        sent now and prefixes its run's lines; the percentage counts the steps done."""
        self.prefix, self.steps, self.state = line, (done, total), RunState()
        self._report(line)

    def event(self, event: Event) -> None:
        self.state.update(event)
        message = self.state.describe(event)
        if self.prefix:
            message = f"{self.prefix} · {message}"
        if self.token is not None:
            if not isinstance(event, RunFinished):  # `end` (or the next step) says how it ended
                self._report(message)
            if event.kind not in STATUS_WITH_PROGRESS:
                return
        status = status_params(self.uri, event, message, self.state, self.token is not None)
        self.server.protocol.notify(wire.STATUS, status)

    def end(self, message: str) -> None:
        if self.token is None or self.ended:
            return
        self.ended = True
        progress = self.server.work_done_progress
        progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        progress.tokens.pop(self.token, None)  # pygls never forgets tokens itself
