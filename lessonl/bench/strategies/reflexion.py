"""`reflexion`: one agent improving its own attempts through verbal self-reflection
(Shinn et al. 2023, "Reflexion: language agents with verbal reinforcement learning").

The three Reflexion roles map onto LessonL's parts: the *actor* is the team's first agent
writing code; the *evaluator* is our harness (build, test, time), whose outcome is the reward
signal; the *self-reflection* model is the same agent, asked after each trial to diagnose its
own attempt and say what it will do differently. Reflections go into the chain's episodic
memory, of which the last `MEMORY` are shown at the next trial together with the last attempt
and its measured outcome (the paper keeps 1 to 3).

To spend the same number of samples as the team, `len(team.agents)` independent chains run side
by side, one trial per round each; chains never see each other (that is what LessonL adds).
A chain whose model call failed starts over from the plain prompt in the next round.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from lessonl.bench.metrics import ProblemResult
from lessonl.bench.strategies.base import Attempt, Session, StrategyContext
from lessonl.errors import LessonLError
from lessonl.llm import Agent
from lessonl.prompts import reflexion_emphasis, reflexion_reflect_prompt

NAME = "reflexion"
SOLO = True
SUMMARY = "one agent retrying with self-reflection on its measured outcome"

#: Reflections kept in a chain's memory and shown at its next trial.
MEMORY = 3


@dataclass
class _Chain:
    agent: Agent  # one of the n copies of the same agent (strategies/__init__.py)
    last: Attempt | None = None
    memory: list[str] = field(default_factory=list)


async def run(ctx: StrategyContext) -> ProblemResult:
    async with Session.open(ctx) as session:
        chains = [_Chain(agent=agent) for agent in session.agents]

        async def trial(chain: _Chain, t: int) -> Attempt:
            agent = chain.agent
            material = None
            last = chain.last
            if last is not None and last.evaluation is not None and chain.memory:
                material = reflexion_emphasis(
                    last.shown_code(), session.language, last.evaluation, chain.memory[-MEMORY:]
                )
            attempt = await session.attempt(agent, session.code_prompt(agent, material), round=t)
            chain.last = attempt
            if attempt.evaluation is not None and t + 1 < ctx.rounds:
                prompt = reflexion_reflect_prompt(
                    session.pctx.code, session.language, attempt.shown_code(), attempt.evaluation
                )
                try:
                    reflection = await session.ask(agent, prompt, round=t, purpose="reflection")
                except LessonLError as exc:
                    ctx.progress(f"round {t + 1}: {agent.name} reflection failed: {exc}")
                else:
                    chain.memory.append(reflection.strip())
            return attempt

        for t in range(ctx.rounds):
            attempts = await asyncio.gather(*(trial(chain, t) for chain in chains))
            session.finish_round(t, attempts)
        return await session.result(NAME)
