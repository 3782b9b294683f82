"""`lessonl_carry`: the `lessonl` strategy with carry-forward on (`[run] carry_forward`).

Every round after the first rewrites the fastest measurably faster variant so far instead of
the original (docs/method.md section 4). It is its own arm so that one `lessonl bench` run
answers whether that helps, against `lessonl` (the paper's mode) with the same team, rounds
and samples. Not in the default set of strategies: it is an experiment on our own method.
"""

from __future__ import annotations

from lessonl.bench.metrics import ProblemResult
from lessonl.bench.strategies.base import StrategyContext
from lessonl.bench.strategies.lessonl import run_loop
from lessonl.run import Overrides

NAME = "lessonl_carry"
SOLO = False
SUMMARY = "the team with lessons, each round improving the best verified variant so far"


async def run(ctx: StrategyContext) -> ProblemResult:
    return await run_loop(ctx, NAME, Overrides.given(rounds=ctx.rounds, carry_forward=True))
