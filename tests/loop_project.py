"""A real C++ project for loop, CLI and server tests: the histogram example, with fast timing.

Copies examples/cpp-histogram into a temporary folder and writes a lessonl.toml whose agents
talk to the fake LLM server. Timing is shortened (2-4 pairs, 1.5 s budget) because these tests
check the loop's logic, not measurement precision (the harness tests and benchmark do that).
The variants below are real code: the real harness builds and runs every one of them.

`fake_harness()` grades the same variants without compiling them (tests/fakes/harness.py), as
the real harness grades them here: FAST about 3x faster, SAME no faster, WRONG incorrect,
BROKEN not compilable. Tests of the loop's logic use it; tests of what really runs do not.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fakes import FakeLLM, FakeRequest
from fakes.harness import FakeHarness, correct, failed
from fakes.strategies import NO_DOUBT, is_skeptic_request

from lessonl.harness import Evaluation, Outcome

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "cpp-histogram"
FILE = "src/histogram.hpp"

FAST = """```cpp
inline std::vector<std::uint64_t> histogram(const std::vector<int>& values, int bins) {
    std::vector<std::uint64_t> counts(bins > 0 ? bins : 0, 0);
    for (int v : values) {
        if (v >= 0 && v < bins) counts[v]++;
    }
    return counts;
}
```"""

WRONG = """```cpp
inline std::vector<std::uint64_t> histogram(const std::vector<int>& values, int bins) {
    std::vector<std::uint64_t> counts(bins > 0 ? bins : 0, 0);
    for (int v : values) {
        if (v > 0 && v < bins) counts[v]++;
    }
    return counts;
}
```"""

BROKEN = """```cpp
inline std::vector<std::uint64_t> histogram(const std::vector<int>& values, int bins) {
    std::vector<std::uint64_t> counts(bins, 0)
    return counts;
}
```"""

CRASH = """```cpp
inline std::vector<std::uint64_t> histogram(const std::vector<int>& values, int bins) {
    volatile int* p = nullptr;
    *p = bins;
    return std::vector<std::uint64_t>(values.size());
}
```"""

HANG = """```cpp
inline std::vector<std::uint64_t> histogram(const std::vector<int>& values, int bins) {
    volatile unsigned long spin = 0;
    while (bins >= 0 || !values.empty()) { spin = spin + 1; }
    return std::vector<std::uint64_t>(bins);
}
```"""

# The original, as an answer: correct, about as fast as the baseline.
SAME = """```cpp
inline std::vector<std::uint64_t> histogram(const std::vector<int>& values, int bins) {
    std::map<int, std::uint64_t> seen;
    for (std::size_t i = 0; i < values.size(); ++i) {
        int v = values[i];
        if (v >= 0 && v < bins) {
            seen[v] += 1;
        }
    }
    std::vector<std::uint64_t> counts;
    for (int b = 0; b < bins; ++b) {
        auto it = seen.find(b);
        counts.push_back(it == seen.end() ? 0 : it->second);
    }
    return counts;
}
```"""


def fake_grade(files: Mapping[str, str]) -> Evaluation:
    """What the real harness makes of the variants above, told apart by their text."""
    text = files[FILE]
    if "counts(bins, 0)\n" in text:
        return failed(Outcome.NOT_COMPILABLE, "src/histogram.hpp:3:5: error: expected ';'")
    if "v > 0 && v < bins" in text:
        return failed(Outcome.INCORRECT, "test failed (exit status 1): bin 0: expected 977, got 0")
    if "counts[v]++" in text:
        return correct(3.0, 0.2)
    return correct(1.0, 0.03)


def fake_harness(**kwargs: Any) -> FakeHarness:
    """A FakeHarness grading this module's variants by `fake_grade`."""
    return FakeHarness(fake_grade, **kwargs)


def is_lesson_request(req: FakeRequest) -> bool:
    """Lesson prompts (prompts.lesson_prompt) ask for one or two sentences of prose."""
    return "one or two sentences of plain prose" in req.prompt


def make_project(
    tmp: Path,
    fake: FakeLLM,
    agents: Sequence[str] = ("alpha", "beta"),
    *,
    run: str = "",
    target_extra: str = "",
    agent_extra: str = "",
    timeout_s: float = 20,
) -> Path:
    """A copy of the histogram example under `tmp`, with agents named `agents` whose model
    name equals the agent name (so replies can be scripted per agent)."""
    root = tmp / "proj"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".lessonl"))
    lines = ["[run]", "cache = false", run, ""]
    for name in agents:
        lines += [
            "[[agents]]",
            f'name = "{name}"',
            'provider = "openai"',
            f'model = "{name}"',
            f'base_url = "{fake.base_url}"',
            "max_retries = 0",
            agent_extra,
            "",
        ]
    lines += [
        "[[targets]]",
        'name = "histogram"',
        f'files = ["{FILE}"]',
        'build = "g++ -O2 -std=c++17 -I src bench/histogram_bench.cpp -o {build}/bench"',
        'test = "{build}/bench check"',
        'bench = "{build}/bench time"',
        f"timeout_s = {timeout_s}",
        "min_pairs = 2",
        "max_pairs = 4",
        "timing_budget_s = 1.5",
        "ci_target = 0.2",
        target_extra,
    ]
    (root / "lessonl.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def by_agent(
    code: dict[str, str | Callable[[FakeRequest], str]],
    lesson: Callable[[FakeRequest], str] | None = None,
    skeptic: Callable[[FakeRequest], str] | None = None,
) -> Callable[[FakeRequest], str]:
    """A fake reply function: code answers per agent (model), lessons by `lesson` or a default
    sentence naming the agent, skeptic requests by `skeptic` or one that finds nothing."""

    def reply(req: FakeRequest) -> str:
        if is_lesson_request(req):
            return lesson(req) if lesson else f"Lesson from {req.model}: keep it simple."
        if is_skeptic_request(req):
            return skeptic(req) if skeptic else NO_DOUBT
        answer = code.get(req.model, SAME)
        return answer(req) if callable(answer) else answer

    return reply
