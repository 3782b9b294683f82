"""`moa`: Mixture-of-Agents (Wang et al. 2024, "Mixture-of-Agents enhances large language model
capabilities"), one layer per round.

Layer 0: every agent of the team proposes a faster version of the original on its own. Layer
t > 0: every agent receives all proposals of layer t-1 (code only, unranked and ungraded, as in
the paper, where proposers' answers are passed on without any verifier) and writes a synthesis.
After the last layer one aggregator, the team's first agent, synthesizes the last layer's
proposals into the final response; that call belongs to the last round (so MoA spends one
sample more than the others, as its architecture requires). Every proposal is also graded by the
harness, only to pick the final answer by the shared rule and to draw the per-round curve; the
models never see those grades.
"""

from __future__ import annotations

from lessonl.bench.metrics import ProblemResult
from lessonl.bench.strategies.base import Attempt, Session, StrategyContext
from lessonl.prompts import moa_aggregate_emphasis

NAME = "moa"
SOLO = False
SUMMARY = "mixture of agents: layers of proposers, then an aggregator"


async def run(ctx: StrategyContext) -> ProblemResult:
    async with Session.open(ctx) as session:
        agents = session.agents
        previous: list[Attempt] = []
        for t in range(ctx.rounds):
            proposals = [a.shown_code() for a in previous if a.reply]
            jobs = [
                (agent, session.code_prompt(agent, _material(proposals, session)), "")
                for agent in agents
            ]
            layer = await session.attempts_in_parallel(jobs, round=t)
            if t + 1 == ctx.rounds:
                final = [a.shown_code() for a in layer if a.reply]
                if final:
                    aggregator = agents[0]
                    layer.append(
                        await session.attempt(
                            aggregator,
                            session.code_prompt(aggregator, _material(final, session)),
                            round=t,
                            tag="-aggregator",
                        )
                    )
            session.finish_round(t, layer)
            previous = layer
        return await session.result(NAME)


def _material(proposals: list[str], session: Session) -> str | None:
    return moa_aggregate_emphasis(proposals, session.language) if proposals else None
