"""`single`: one agent alone (the team's first), no lessons, no feedback.

The baseline the paper's Table 1 calls a single LLM: each round the agent writes as many
independent variants of the original as the whole team writes in a round (n copies of the
agent, see strategies/__init__.py), so it gets the same number of samples as `lessonl`; the
best correct one, re-measured, is the answer.
"""

from __future__ import annotations

from lessonl.bench.metrics import ProblemResult
from lessonl.bench.strategies.base import Session, StrategyContext

NAME = "single"
SOLO = True
SUMMARY = "the team's first agent alone, same number of samples, no lessons"


async def run(ctx: StrategyContext) -> ProblemResult:
    async with Session.open(ctx) as session:
        for t in range(ctx.rounds):
            jobs = [(a, session.code_prompt(a), "") for a in session.agents]
            session.finish_round(t, await session.attempts_in_parallel(jobs, round=t))
        return await session.result(NAME)
