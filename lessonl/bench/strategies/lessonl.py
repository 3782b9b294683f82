"""`lessonl`: the team with lessons, i.e. a run through `lessonl.run` (the
CLI's door) on the problem's function.

The loop picks its own final answer (docs/method.md section 3: it proposes a variant only if the
re-measured interval lies above 1). For the benchmark we read the same re-measurements from the
report (`RunReport.remeasured`, made by `lessonl.grading.final_answer` like every strategy's)
and apply the shared rule of `base.py`: the fastest re-measured correct variant is the answer
even when it is not measurably faster; the metrics clip it at 1, and `geomean_verified` counts
it as 1. So `lessonl` is scored exactly like the other strategies.

Tokens and cost are the report's `usage`: the loop counts them in `lessonl.grading.ask`, the
same function `Session.ask` counts them with for the other strategies.
"""

from __future__ import annotations

from lessonl.bench.metrics import ProblemResult
from lessonl.bench.strategies.base import StrategyContext, failure_fields, set_answer
from lessonl.events import Event
from lessonl.grading import fastest
from lessonl.run import Overrides, RunRequest, execute, plan

NAME = "lessonl"
SOLO = False
SUMMARY = "the team, learning from each other's lessons"


async def run(ctx: StrategyContext) -> ProblemResult:
    return await run_loop(ctx, NAME, Overrides.given(rounds=ctx.rounds))


async def run_loop(ctx: StrategyContext, name: str, overrides: Overrides) -> ProblemResult:
    """The loop with `overrides` on the problem, scored as strategy `name` (see the module
    docstring); the `lessonl_carry` arm is the same run with carry-forward on."""
    problem = ctx.problem

    def on_event(event: Event) -> None:
        ctx.progress(event.message())

    request = RunRequest(
        file=ctx.file,
        function=problem.function,
        target=problem.target.name,
        overrides=overrides,
        config=problem.config,
        team=ctx.team,  # passed in, so the caller closes it
        on_event=on_event,
        harness_factory=ctx.harness_factory,
    )
    report = await execute(plan(request))
    variants = [v for r in report.rounds for v in r.variants]
    result = ProblemResult(
        problem=problem.name,
        strategy=name,
        category=problem.category,
        language=problem.language,
        **failure_fields((v.outcome, v.detail) for v in variants),
        round_best=[r.best_speedup for r in report.rounds],
        rounds=len(report.rounds),
        samples=sum(1 for v in variants if v.outcome is not None),
        input_tokens=report.usage.input_tokens,
        output_tokens=report.usage.output_tokens,
        cost_usd=report.usage.cost_usd,
        error="; ".join(report.errors) or None,
        # What round 0's prompts showed from the bank: lessons of an earlier run (none in a
        # fresh copy; the warmed bank's for `lessonl_transfer`).
        round0_lessons=len(report.rounds[0].shown_lessons) if report.rounds else 0,
    )
    set_answer(result, fastest(report.remeasured))
    return result
