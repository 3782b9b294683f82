"""`FakeHarness`: an in-process stand-in for `lessonl.harness.Harness` that compiles nothing.

Tests of the loop's *logic* (which lessons reach which prompt, round order, budgets, how many
model calls run at once, cancellation) do not need g++ to build and time every variant: that
made each of them take 4 to 36 s. They pass a `FakeHarness` as the `harness_factory` of a
run's `lessonl.run.RunRequest` (or of a bench `StrategyContext`); it grades each variant by a
script, a function of the variant's files returning an `Evaluation`, and records what it was
asked.
The real harness keeps its own end-to-end tests (tests/test_harness*.py, and the loop tests
that check build errors, crashes, timeouts and killed processes).

    harness = FakeHarness(lambda files: correct(3.0) if "counts[v]++" in files[FILE] else ...)
    report = await execute(plan(RunRequest(file, function, config=config, harness_factory=harness)))
    harness.labels                 # every variant graded, in order
    harness.retimed                # the labels re-timed for the final answer
    harness.closed                 # True once the run left the harness's context

`delay_s` makes every `evaluate` take that long (a cancellation can then land inside one).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from lessonl.harness import Evaluation, Outcome

Script = Callable[[Mapping[str, str]], Evaluation]


def correct(speedup: float, half_width: float = 0.05) -> Evaluation:
    """A correct, timed grade with a symmetric 95% interval around `speedup`."""
    return Evaluation(
        id="",
        label="",
        outcome=Outcome.CORRECT,
        speedup=speedup,
        ci95=(speedup - half_width, speedup + half_width),
        pairs=3,
        clock="bench",
    )


def failed(outcome: Outcome, detail: str) -> Evaluation:
    """A grade that never got to timing (incorrect, not compilable, crashed, timeout)."""
    return Evaluation(id="", label="", outcome=outcome, detail=detail)


class FakeHarness:
    """Both the factory (`optimize(..., harness_factory=fake)`) and the harness it makes."""

    def __init__(
        self,
        script: Script,
        *,
        retime: Callable[[Evaluation], Evaluation] | None = None,
        delay_s: float = 0.0,
    ) -> None:
        self.script = script
        self.retime_script = retime
        self.delay_s = delay_s
        self.labels: list[str] = []
        self.files: list[dict[str, str]] = []
        self.retimed: list[str] = []
        self.opened = 0
        self.closed = False
        self.run_ids: list[str] = []
        self.baseline_overrides: Mapping[str, str] | None = None
        self.in_flight = 0
        self.max_in_flight = 0
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ the factory

    def __call__(
        self,
        project: Any,
        target: Any,
        *,
        run_id: str,
        baseline_overrides: Mapping[str, str] | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> FakeHarness:
        self.opened += 1
        self.closed = False
        self.run_ids.append(run_id)
        self.baseline_overrides = baseline_overrides
        return self

    async def __aenter__(self) -> FakeHarness:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.closed = True

    # ------------------------------------------------------------------ the harness

    async def baseline(self) -> Evaluation:
        return Evaluation(id="v0-baseline", label="baseline", outcome=Outcome.CORRECT)

    async def evaluate(self, files: Mapping[str, str], *, label: str) -> Evaluation:
        self.labels.append(label)
        self.files.append(dict(files))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            graded = self.script(files)
        finally:
            self.in_flight -= 1
        return dataclasses.replace(graded, id=f"v{next(self._ids)}-{label}", label=label)

    async def retime(self, evaluation: Evaluation) -> Evaluation:
        self.retimed.append(evaluation.label)
        if evaluation.outcome != Outcome.CORRECT:
            return evaluation
        return self.retime_script(evaluation) if self.retime_script else evaluation
