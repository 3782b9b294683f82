"""`mapcoder`: MapCoder (Islam et al. 2024, "MapCoder: multi-agent code generation for
competitive problem solving"): retrieval, planning, coding and debugging agents, all played by
one model (the team's first agent), as in the paper.

Round 0: the *retrieval* agent recalls k similar solved optimization problems from the model's
own memory (with plans and code; k = the team size); the *planning* agent writes k plans for
this code, each with a confidence score; the *coding* agent implements the k plans, most
confident first, one per sample. Rounds t > 0: the *debugging* agent revises each track's latest
code with the harness's feedback (the paper's sample-test I/O becomes our build errors, what
differed, or the measured speedup; a correct version is pushed to go faster, since speed is the
goal here). Same number of code samples per round as the team; the retrieval and planning calls
count in tokens. The paper moves to the next plan after t failed debug steps; with our few
rounds (4 by default) each track keeps its plan.
"""

from __future__ import annotations

from lessonl.bench.metrics import ProblemResult
from lessonl.bench.strategies.base import Attempt, Session, StrategyContext
from lessonl.prompts import (
    mapcoder_code_emphasis,
    mapcoder_debug_emphasis,
    mapcoder_plan_prompt,
    mapcoder_recall_prompt,
    parse_plans,
)

NAME = "mapcoder"
SOLO = True
SUMMARY = "recall similar examples, plan, code, debug with the harness's feedback"


async def run(ctx: StrategyContext) -> ProblemResult:
    async with Session.open(ctx) as session:
        agent = session.agents[0]  # the retrieval and planning roles
        n = session.samples_per_round
        code_tokens = ctx.problem.config.run.code_max_tokens
        examples = await session.ask(
            agent,
            mapcoder_recall_prompt(session.pctx.code, session.language, n),
            round=0,
            purpose="recall",
            max_tokens=code_tokens,
        )
        reply = await session.ask(
            agent,
            mapcoder_plan_prompt(session.pctx.code, session.language, examples, n),
            round=0,
            purpose="plan",
            max_tokens=code_tokens,
        )
        plans = [p for p, _ in parse_plans(reply)] or [reply]
        track_plans = [plans[j % len(plans)] for j in range(n)]
        latest: list[Attempt | None] = [None] * n
        for t in range(ctx.rounds):
            jobs = []
            for j in range(n):
                last = latest[j]
                if last is None or last.evaluation is None:
                    material = mapcoder_code_emphasis(track_plans[j])
                else:
                    material = mapcoder_debug_emphasis(
                        track_plans[j], last.shown_code(), session.language, last.evaluation
                    )
                coder = session.agents[j]  # one of the n copies of the same agent
                jobs.append((coder, session.code_prompt(coder, material), ""))
            attempts = await session.attempts_in_parallel(jobs, round=t)
            latest = list(attempts)
            session.finish_round(t, attempts)
        return await session.result(NAME)
