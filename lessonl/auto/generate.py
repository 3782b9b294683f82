"""Asking one agent for an input generator when the tests record too few calls.

The generator is untrusted code like any variant: it runs in the runner, in the copy, under
the sandbox's limits, and it must be deterministic (run twice, the same inputs) and return
plain (args, kwargs) pairs. The ORIGINAL's results on those inputs become the expected ones,
so a wrong generator can only make the check stricter or useless, never let a wrong variant
through that the recorded calls would have caught.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from lessonl import grading, regions
from lessonl.auto.errors import CannotRecord
from lessonl.fences import fenced
from lessonl.llm import Agent, SampleId
from lessonl.llm.types import Usage

#: Inputs asked for; the runner keeps at most 200 and the recording at most 64 calls in all.
WANTED = 40

Generator = Callable[[dict[str, Any]], Awaitable[str]]


def generator_prompt(code: str, qualname: str, samples: Sequence[str], uncovered: str = "") -> str:
    shown = "\n".join(f"    {s}" for s in samples) or "    (none were recorded)"
    missing = (
        f"\nThe recorded calls never run these lines of it; inputs that reach them matter "
        f"most:\n{uncovered}\n"
        if uncovered
        else ""
    )
    return f"""We need test inputs for the Python function `{qualname}` below, to check that
faster rewrites of it behave exactly the same.

{fenced(code, "python")}

Calls recorded from the project's tests:
{shown}
{missing}
Write a Python function `generate_inputs()` that returns a list of about {WANTED} inputs, each
a pair `(args, kwargs)`: `args` a tuple of positional arguments (for a method, the instance
first), `kwargs` a dict. Cover edge cases (empty, single element, duplicates, ties,
negative numbers, ...) and a few larger inputs (a few thousand elements at most). It must be
deterministic (use `random.Random(1234)`, never the global random or the clock), do no I/O,
and finish within a second. You may import the standard library and the function's own
module. Reply with one ```python fenced block containing only that code."""


def uncovered_text(source: str, ranges: str, limit: int = 20) -> str:
    """'12-13' -> the text of lines 12 and 13 of `source`, as `    12: ...` lines."""
    lines = source.splitlines()
    numbers: list[int] = []
    for part in ranges.split(","):
        low, _, high = part.strip().partition("-")
        if low.isdigit():
            numbers += range(int(low), int(high or low) + 1)
    shown = [f"    {n}: {lines[n - 1].strip()}" for n in numbers[:limit] if 0 < n <= len(lines)]
    return "\n".join(shown)


def make_generator(
    agent: Agent, code: str, qualname: str, *, max_tokens: int, usage: Usage, source: str = ""
) -> Generator:
    """The generator's model call is counted in `usage`, the run's (through `grading.ask`,
    where all usage is counted): it was missing from the run's tokens and cost. `source` is
    the whole file, to quote the lines the recorded calls never run."""

    async def generate(meta: dict[str, Any]) -> str:
        before = (meta.get("strength") or {}).get("before") or {}
        missing = uncovered_text(source, before.get("uncovered_lines", ""))
        prompt = generator_prompt(code, qualname, meta.get("samples", []), missing)
        text = await grading.ask(
            agent,
            prompt,
            usage,
            temperature=0.0,
            max_tokens=max_tokens,
            sample=SampleId(run_id="auto-inputs", round=0, agent=agent.name, purpose="inputs"),
        )
        found = regions.extract_code(text, "python")
        if not found or "generate_inputs" not in found:
            raise CannotRecord(f"{agent.name} wrote no generate_inputs() function")
        return found

    return generate
