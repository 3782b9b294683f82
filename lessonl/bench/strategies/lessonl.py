"""`lessonl`: the team with lessons, i.e. `lessonl.loop.optimize` on the problem's function.

The loop picks its own final answer (docs/method.md section 3: it proposes a variant only if the
re-measured interval lies above 1). For the benchmark we read the same re-measurements from the
report (`best_candidates`) and apply the shared rule of `base.py`: the fastest re-measured
correct variant is the answer even when it is not measurably faster; the metrics clip it at 1,
and `geomean_verified` counts it as 1. So `lessonl` is scored exactly like the other strategies.

Tokens and cost are counted by `_Metered`, a thin wrapper around each agent's model, the same
way `Session.ask` counts them for the other strategies, so the comparison does not depend on
how the loop reports its usage.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from lessonl.bench.metrics import CORRECT, ProblemResult
from lessonl.bench.strategies.base import StrategyContext, failure_fields
from lessonl.events import Event
from lessonl.llm import Completion, Model, SampleId, Team
from lessonl.loop import RunOptions, optimize
from lessonl.report import Usage

NAME = "lessonl"
SOLO = False
SUMMARY = "the team, learning from each other's lessons"


async def run(ctx: StrategyContext) -> ProblemResult:
    problem = ctx.problem

    def on_event(event: Event) -> None:
        ctx.progress(event.message())

    usage = Usage()
    team = Team(
        agents=[dataclasses.replace(a, model=_Metered(a.model, usage)) for a in ctx.team.agents],
        description=ctx.team.description,
    )  # the caller closes ctx.team; this view owns nothing

    report = await optimize(
        problem.config,
        ctx.file,
        function=problem.function,
        target=problem.target.name,
        options=RunOptions(rounds=ctx.rounds),
        team=team,
        on_event=on_event,
    )
    variants = [v for r in report.rounds for v in r.variants]
    result = ProblemResult(
        problem=problem.name,
        strategy=NAME,
        category=problem.category,
        language=problem.language,
        **failure_fields((v.outcome, v.detail) for v in variants),
        round_best=[r.best_speedup for r in report.rounds],
        rounds=len(report.rounds),
        samples=sum(1 for v in variants if v.outcome is not None),
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cost_usd=usage.cost_usd,
        error="; ".join(report.errors) or None,
    )
    remeasured = [c for c in report.best_candidates if c.get("speedup") is not None]
    if remeasured:
        best = max(remeasured, key=lambda c: c["speedup"])
        code = next(
            (
                v.code
                for v in variants
                if v.agent == best["agent"] and v.round == best["round"] and v.outcome == CORRECT
            ),
            None,
        )
        result.set_answer(
            best["speedup"], best.get("ci95"), agent=best["agent"], round=best["round"], code=code
        )
    return result


@dataclasses.dataclass
class _Metered:
    """A `Model` that adds every completion's tokens and cost to `usage`."""

    inner: Model
    usage: Usage

    async def complete(
        self,
        messages: Sequence[dict[str, str]],
        *,
        temperature: float,
        max_tokens: int,
        sample: SampleId | None = None,
    ) -> Completion:
        completion = await self.inner.complete(
            messages, temperature=temperature, max_tokens=max_tokens, sample=sample
        )
        self.usage.add(completion.input_tokens, completion.output_tokens, completion.cost_usd)
        return completion
