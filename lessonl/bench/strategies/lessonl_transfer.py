"""`lessonl_transfer`: the `lessonl` strategy (paper mode, same team, rounds and samples) with
its working copy's lesson bank warmed, before round 0, by the lessons the `lessonl` arm banked
on the *other* problems of the same benchmark run (leave-one-out).

The runner does the warming (lessonl/bench/runner.py: it runs every `lessonl` pair first, keeps
the lessons each one banked with its stored result, and imports the other problems' lessons of
the same language into this pair's bank); the loop itself is unchanged, so round 0 selects
from those lessons by its usual rule (docs/method.md section 3; same function and file first,
which here are other functions). Against `lessonl` this answers whether lessons of one function
help another. Not in the default set: it is an experiment on our own method, beyond the paper.
"""

from __future__ import annotations

from lessonl.bench.metrics import ProblemResult
from lessonl.bench.strategies.base import StrategyContext
from lessonl.bench.strategies.lessonl import run_loop
from lessonl.run import Overrides

NAME = "lessonl_transfer"
SOLO = False
SUMMARY = "the team with lessons, its bank warmed by lessonl's lessons of the other problems"


async def run(ctx: StrategyContext) -> ProblemResult:
    return await run_loop(ctx, NAME, Overrides.given(rounds=ctx.rounds))
