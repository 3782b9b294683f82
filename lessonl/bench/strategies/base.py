"""What every strategy shares: the context it runs in, and a `Session` that asks models, grades
their code with the harness and applies the one final-answer rule.

Fairness between strategies is the point of a benchmark, so the things that decide a score live
here, once:

- the same harness (`lessonl.harness.Harness`, the same target, timing and sandbox);
- the same budget: `rounds` rounds of `len(team.agents)` code-writing samples each (helper
  calls such as a reflection or a plan are counted in tokens, not as samples);
- the same ask: every code prompt is `prompts.optimize_prompt` with the strategy's own material
  in the `emphasis` slot, so the instructions about the answer's format are identical;
- the same grading: `lessonl.grading.grade` (extract, splice with helpers, build, check, time),
  the same usage count (`lessonl.grading.ask`), the very functions `lessonl optimize` uses;
- the same final answer (`lessonl.grading.final_answer`): the `REMEASURE_TOP` fastest correct
  variants (as first measured) are re-timed with fresh interleaved pairs and the fastest
  re-measured one is the answer; incorrect code never wins. Unlike `lessonl optimize`, which
  proposes nothing that is not measurably faster, the benchmark keeps that answer even when its
  speedup is below 1, and the metrics clip it to 1 (docs/method.md section 6); `verified` says
  whether its interval lies above 1.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lessonl import grading, prompts, regions
from lessonl.bench.metrics import NO_ANSWER, ProblemResult
from lessonl.bench.suite import Problem
from lessonl.errors import LessonLError
from lessonl.grading import REMEASURE_TOP, Grade, Graded, HarnessFactory, HarnessLike, Subject
from lessonl.harness import Project, require_tools
from lessonl.harness.outcomes import first_line
from lessonl.llm import Agent, SampleId, Team
from lessonl.llm.types import Usage

__all__ = ["REMEASURE_TOP", "Attempt", "Session", "StrategyContext", "failure_fields"]

#: When no variant is correct, the reported outcome is the failure closest to correct.
_FAILURE_ORDER = ("incorrect", "crashed", "timeout", "not_compilable")

Progress = Callable[[str], None]


@dataclass
class StrategyContext:
    """One problem x strategy run. `problem` points at a private working copy of the problem
    folder (the runner makes it), so a run's `.lessonl/` (bank, cache, builds) starts empty and
    never touches the suite or another strategy's run. `harness_factory` makes the harness
    (None: the real one, after checking the target's programs exist; tests pass a fake)."""

    problem: Problem
    team: Team
    rounds: int
    run_id: str
    progress: Progress = lambda message: None
    harness_factory: HarnessFactory | None = None

    @property
    def file(self) -> Path:
        return self.problem.path / self.problem.file


@dataclass
class Attempt:
    """One code-writing sample and its grade. `grade` is None when the model call failed
    (then `error` says why); `code` is None when the reply held no code block."""

    round: int
    agent: str
    reply: str = ""
    grade: Graded | None = None
    error: str | None = None
    exception: LessonLError | None = None

    @property
    def evaluation(self) -> Grade | None:
        return None if self.grade is None else self.grade.evaluation

    @property
    def code(self) -> str | None:
        return None if self.grade is None else self.grade.code

    @property
    def outcome(self) -> str | None:
        return None if self.grade is None else self.grade.outcome

    @property
    def speedup(self) -> float | None:
        return None if self.grade is None else self.grade.speedup

    def shown_code(self) -> str:
        """What to show a model of this attempt: its code, else its whole reply."""
        return self.code if self.code is not None else self.reply


@dataclass
class Session:
    """Model calls, grading and bookkeeping for one problem x strategy run."""

    ctx: StrategyContext
    harness: HarnessLike
    source: str
    pctx: regions.PromptContext
    usage: Usage = field(default_factory=Usage)
    attempts: list[Attempt] = field(default_factory=list)
    round_best: list[float | None] = field(default_factory=list)

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, ctx: StrategyContext) -> AsyncIterator[Session]:
        """Start the harness and build the baseline (raises `BaselineError` if it fails, and
        `EnvironmentProblem` if the target needs a program the machine lacks)."""
        problem = ctx.problem
        factory = ctx.harness_factory
        if factory is None:
            require_tools(problem.target)
            factory = grading.DEFAULT_HARNESS
        source = ctx.file.read_text(encoding="utf-8")
        pctx = regions.prompt_context(source, problem.language, problem.function)
        async with factory(
            Project.of(problem.config), problem.target, run_id=ctx.run_id
        ) as harness:
            await harness.baseline()
            yield cls(ctx=ctx, harness=harness, source=source, pctx=pctx)

    # ------------------------------------------------------------------ asking

    @property
    def language(self) -> str:
        return self.ctx.problem.language

    @property
    def subject(self) -> Subject:
        problem = self.ctx.problem
        return Subject(self.source, problem.language, problem.function, problem.file)

    @property
    def agents(self) -> list[Agent]:
        return list(self.ctx.team.agents)

    @property
    def samples_per_round(self) -> int:
        """The team's total per round: every strategy writes this many variants a round."""
        return len(self.ctx.team.agents)

    def code_prompt(self, agent: Agent, material: str | None = None) -> str:
        """`optimize_prompt` without lessons, the strategy's material in the emphasis slot."""
        emphasis = "\n\n".join(x for x in (agent.emphasis, material) if x) or None
        return prompts.optimize_prompt(self.pctx, self.language, (), emphasis=emphasis)

    async def ask(
        self,
        agent: Agent,
        prompt: str,
        *,
        round: int,
        purpose: str,
        tag: str = "",
        max_tokens: int | None = None,
    ) -> str:
        """One user message, no history; usage is counted. `tag` tells apart several samples
        of one agent in one round (it goes into the SampleId, so caches keep them apart)."""
        run = self.ctx.problem.config.run
        if max_tokens is None:
            max_tokens = run.code_max_tokens if purpose == "code" else run.lesson_max_tokens
        temperature = agent.temperature if agent.temperature is not None else run.temperature
        return await grading.ask(
            agent,
            prompt,
            self.usage,
            temperature=temperature,
            max_tokens=max_tokens,
            sample=SampleId(
                run_id=self.ctx.run_id,
                round=round,
                agent=f"{agent.name}{tag}",
                purpose=purpose,
            ),
        )

    async def attempt(self, agent: Agent, prompt: str, *, round: int, tag: str = "") -> Attempt:
        """Ask for code and grade it. A failed model call is recorded on the attempt (that
        sample sits out, as in the loop), never replaced by another sample's result."""
        attempt = Attempt(round=round, agent=f"{agent.name}{tag}")
        self.attempts.append(attempt)
        try:
            attempt.reply = await self.ask(agent, prompt, round=round, purpose="code", tag=tag)
        except LessonLError as exc:
            attempt.error = str(exc)
            attempt.exception = exc
            self.ctx.progress(f"round {round + 1}: {attempt.agent} failed: {exc}")
            return attempt
        await self.grade(attempt)
        return attempt

    async def grade(self, attempt: Attempt) -> None:
        """Grade `attempt.reply` into `attempt.grade` (`lessonl.grading.grade`)."""
        attempt.grade = await grading.grade(
            self.harness,
            self.subject,
            attempt.reply,
            label=f"r{attempt.round}-{attempt.agent}",
            who=f"round {attempt.round + 1}, {attempt.agent}",
        )
        what = (attempt.outcome or "?").replace("_", " ")
        if attempt.speedup is not None:
            what += f" {attempt.speedup:.2f}x"
        self.ctx.progress(f"round {attempt.round + 1}: {attempt.agent} {what}")

    async def attempts_in_parallel(
        self, jobs: Sequence[tuple[Agent, str, str]], *, round: int
    ) -> list[Attempt]:
        """Run (agent, prompt, tag) samples concurrently, as the loop runs its agents."""
        return list(
            await asyncio.gather(
                *(self.attempt(agent, prompt, round=round, tag=tag) for agent, prompt, tag in jobs)
            )
        )

    def finish_round(self, round: int, attempts: Sequence[Attempt]) -> None:
        """Record the best speedup so far; every sample of a round failing ends the run."""
        if attempts and all(a.evaluation is None for a in attempts):
            # Keep the first failure's type (Unreachable, AuthError, ...): the runner stops the
            # whole benchmark on the kinds that would fail every other problem too.
            first = attempts[0].exception
            kind = type(first) if first is not None else LessonLError
            raise kind(
                f"all {len(attempts)} samples failed in round {round + 1}: {attempts[0].error}"
            )
        speeds = [a.speedup for a in self.attempts if a.speedup is not None]
        self.round_best.append(max(speeds) if speeds else None)

    # ------------------------------------------------------------------ the answer

    async def result(self, strategy: str) -> ProblemResult:
        """Apply the final-answer rule (module docstring) and fill in a `ProblemResult`."""
        problem = self.ctx.problem
        result = ProblemResult(
            problem=problem.name,
            strategy=strategy,
            category=problem.category,
            language=problem.language,
            **failure_fields(
                (a.outcome, a.grade.detail if a.grade is not None else "") for a in self.attempts
            ),
            round_best=list(self.round_best),
            rounds=len(self.round_best),
            samples=sum(1 for a in self.attempts if a.evaluation is not None),
            input_tokens=self.usage.input_tokens,
            output_tokens=self.usage.output_tokens,
            cost_usd=self.usage.cost_usd,
        )
        final = await grading.final_answer(self.harness, self.attempts, top=REMEASURE_TOP)
        set_answer(result, final.fastest)
        return result


def set_answer(result: ProblemResult, best: grading.Remeasured[Any] | None) -> None:
    """Record the shared rule's answer (the fastest re-measured correct sample) on `result`."""
    if best is None or best.speedup is None:
        return
    candidate = best.candidate
    code = candidate.grade.code if candidate.grade is not None else None
    result.set_answer(
        best.speedup, best.ci95, agent=candidate.agent, round=candidate.round, code=code
    )


def failure_fields(samples: Iterable[tuple[str | None, str]]) -> dict[str, Any]:
    """From every sample's (outcome, detail): the `ProblemResult` fields that describe a
    problem without a correct answer: `outcome` (the failure closest to correct), `outcomes`
    (the tally) and `detail` (the first line of why a sample with that outcome failed). A
    strategy that finds a correct answer overwrites `outcome` and clears `detail`."""
    pairs = [(o, d) for o, d in samples if o]
    outcome = failure_outcome(o for o, _ in pairs)
    detail = next((d for o, d in pairs if o == outcome), None)
    return {
        "outcome": outcome,
        "outcomes": dict(Counter(o for o, _ in pairs)),
        "detail": first_line(detail) if detail else None,
    }


def failure_outcome(outcomes: Any) -> str:
    """The outcome to report when no variant is correct: the failure closest to correct."""
    seen = {o for o in outcomes if o}
    for outcome in _FAILURE_ORDER:
        if outcome in seen:
            return outcome
    return NO_ANSWER
