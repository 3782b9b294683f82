"""What the agents of the default local team wait for: tokens/s per agent and for the team.

The embedded server (llama_cpp.server) serves one request at a time, so the three agents of the
default team queue on one semaphore (lessonl/llm/team.py). This script builds that real team and
measures, on one server:

- alone: one agent's requests one after another (the server's own generation speed);
- team: the three agents asking at once, as a round does; per agent, tokens over the time from
  asking to answer (its waiting included), and for the team, all tokens over the wall time.

If the team's tokens/s equals one agent's, the server is the bottleneck and each agent waits
about two thirds of a round; batching concurrent requests would only pay if the server could
decode several sequences per step faster than one after another.

    .venv/bin/python benchmarks/local_throughput.py [--requests 2] [--max-tokens 160]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from lessonl.config import Config
from lessonl.llm import build_team

PROMPT = (
    "Rewrite this Python function to be faster and reply with one fenced code block:\n"
    "def dedupe(items):\n    seen = []\n    out = []\n    for x in items:\n"
    "        if x not in seen:\n            seen.append(x)\n            out.append(x)\n"
    "    return out\n"
)


async def measure(requests: int, max_tokens: int) -> None:
    team = await build_team(Config(path=None, root=Path.cwd()), env={}, cache=False)
    try:

        async def ask(agent_index: int) -> tuple[int, float]:
            agent = team.agents[agent_index]
            tokens = 0
            started = time.perf_counter()
            for _ in range(requests):
                reply = await agent.model.complete(
                    [{"role": "user", "content": PROMPT}], temperature=0.2, max_tokens=max_tokens
                )
                tokens += reply.output_tokens
            return tokens, time.perf_counter() - started

        await ask(0)  # warm-up: first decode after a start is slower
        tokens, wall = await ask(0)
        print(f"alone: {tokens} tokens in {wall:.1f} s = {tokens / wall:.1f} tokens/s")
        started = time.perf_counter()
        results = await asyncio.gather(*(ask(i) for i in range(len(team.agents))))
        wall = time.perf_counter() - started
        for agent, (tokens, own) in zip(team.agents, results, strict=True):
            rate = tokens / own
            print(f"team: {agent.name}: {tokens} tokens in {own:.1f} s = {rate:.1f} tokens/s")
        total = sum(t for t, _ in results)
        print(f"team: all {total} tokens in {wall:.1f} s = {total / wall:.1f} tokens/s")
    finally:
        await team.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2, help="requests per agent (2)")
    parser.add_argument("--max-tokens", type=int, default=160, help="tokens per answer (160)")
    args = parser.parse_args()
    asyncio.run(measure(args.requests, args.max_tokens))


if __name__ == "__main__":
    main()
