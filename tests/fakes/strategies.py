"""The scripted model's prose for the benchmark strategies' helper prompts (plans, recalls,
reflections, lessons), shared by the tests that run every strategy against the fake server; each
test scripts its own code replies."""

from __future__ import annotations

from collections.abc import Callable

from .llm_server import FakeRequest

#: What every skeptic prompt (prompts.skeptic_prompt) asks, and how the fakes recognise it.
SKEPTIC_MARK = "behave differently"
#: A skeptic that finds nothing: no generator, so the attack is dropped with a note.
NO_DOUBT = "I see no input on which they would differ."


def is_skeptic_request(req: FakeRequest) -> bool:
    return SKEPTIC_MARK in req.prompt


def skeptic_inputs(*calls: str) -> str:
    """A skeptic's reply: `generate_inputs()` returning the given `(args, kwargs)` literals."""
    body = ",\n        ".join(calls)
    return f"```python\ndef generate_inputs():\n    return [\n        {body},\n    ]\n```"


PLANS = "## Plan 1\nUse a set.\nConfidence: 90\n## Plan 2\nSort, then scan.\nConfidence: 40"
LESSON = "LESSON: membership tests on a list are linear; a set makes them constant time."


def strategy_replies(code: Callable[[str], str]) -> Callable[[FakeRequest], str]:
    """A `FakeLLM.script_fn` reply function: `code(prompt)` for every code-writing prompt
    (optimize_prompt's ask for a fenced code block); plausible prose for the rest."""

    def reply(req: FakeRequest) -> str:
        p = req.prompt
        if is_skeptic_request(req):
            return NO_DOUBT
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


#: What every differential-driver prompt (prompts.native_driver_prompt) asks.
DRIVER_MARK = "differential driver"


def is_driver_request(req: FakeRequest) -> bool:
    return DRIVER_MARK in req.prompt


def native_replies(
    drivers: list[str], code: Callable[[str], str], skeptic: list[str] | None = None
) -> Callable[[FakeRequest], str]:
    """`strategy_replies(code)` that also answers driver requests (lessonl.native), with the
    given driver programs in turn (the last one repeats), each fenced as C++; and, given
    `skeptic`, the native skeptic's requests with those programs in turn (else no doubt)."""
    rest = strategy_replies(code)
    given = list(drivers)
    attacks = list(skeptic or [])

    def reply(req: FakeRequest) -> str:
        if is_driver_request(req):
            program = given.pop(0) if len(given) > 1 else given[0]
            return f"```cpp\n{program}```"
        if attacks and is_skeptic_request(req):
            return f"```cpp\n{attacks.pop(0)}```"
        return rest(req)

    return reply
