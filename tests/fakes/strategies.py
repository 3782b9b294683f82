"""The scripted model's prose for the benchmark strategies' helper prompts (plans, recalls,
reflections, lessons), shared by the tests that run every strategy against the fake server; each
test scripts its own code replies."""

from __future__ import annotations

from collections.abc import Callable

from .llm_server import FakeRequest

PLANS = "## Plan 1\nUse a set.\nConfidence: 90\n## Plan 2\nSort, then scan.\nConfidence: 40"
LESSON = "LESSON: membership tests on a list are linear; a set makes them constant time."


def strategy_replies(code: Callable[[str], str]) -> Callable[[FakeRequest], str]:
    """A `FakeLLM.script_fn` reply function: `code(prompt)` for every code-writing prompt
    (optimize_prompt's ask for a fenced code block); plausible prose for the rest."""

    def reply(req: FakeRequest) -> str:
        p = req.prompt
        if "fenced code block" in p:
            return code(p)
        if "## Plan N" in p:
            return PLANS
        if "Recall " in p:
            return "## Example 1\nCounting distinct values with a hash set instead of a list."
        if "Reflect on this attempt" in p:
            return "REFLECTION: a list lookup is linear; next time use a hash-based structure."
        return LESSON

    return reply
