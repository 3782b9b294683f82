"""`cot`: chain-of-thought prompting (Wei et al. 2022) with one agent (the team's first).

Same sampling as `single`; the prompt asks the model to reason step by step about what the code
computes and where its time goes before it writes code. The code block is extracted from the
reasoning as from any reply.
"""

from __future__ import annotations

from lessonl.bench.metrics import ProblemResult
from lessonl.bench.strategies.base import Session, StrategyContext
from lessonl.prompts import COT_EMPHASIS

NAME = "cot"
SOLO = True
SUMMARY = "one agent reasoning step by step about bottlenecks before coding"


async def run(ctx: StrategyContext) -> ProblemResult:
    async with Session.open(ctx) as session:
        for t in range(ctx.rounds):
            jobs = [(a, session.code_prompt(a, COT_EMPHASIS), "") for a in session.agents]
            session.finish_round(t, await session.attempts_in_parallel(jobs, round=t))
        return await session.result(NAME)
