"""`lessonl.grading`: the one pipeline the loop and every benchmark strategy grade with.

Grading itself (extract, splice with helpers, hand to the harness) is checked against the
in-process fake harness (tests/fakes/harness.py), which records exactly which files it was
given; so is every strategy end to end (real SDK clients against the fake LLM server), so that
the shared rules (the final answer from re-measurement, usage counted once) are checked for
each of them in about a second. The real harness's runs of the same strategies are in
tests/test_bench.py.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest
from fakes import FakeLLM
from fakes.harness import FakeHarness, correct, failed
from fakes.strategies import strategy_replies

from lessonl import grading
from lessonl.bench import strategies
from lessonl.bench.metrics import ProblemResult
from lessonl.bench.runner import solo_agents
from lessonl.bench.strategies.base import StrategyContext
from lessonl.bench.suite import load_problem
from lessonl.config import AgentConfig
from lessonl.harness import Evaluation, Outcome
from lessonl.llm import build_team

SUITE = Path(__file__).parent / "data" / "bench_suite"
ROUNDS = 2

FAST = "```python\ndef unique_count(items):\n    return len(set(items))\n```"
HELPERS = """```python
import itertools


def _distinct(items):
    return set(items)


def unique_count(items):
    return len(_distinct(items))
```"""


def _subject() -> grading.Subject:
    source = (SUITE / "unique_count" / "src" / "unique_count.py").read_text(encoding="utf-8")
    return grading.Subject(
        source=source, language="python", function="unique_count", file="src/unique_count.py"
    )


def _grades(files: Mapping[str, str]) -> Evaluation:
    text = files["src/unique_count.py"]
    if "len(set(items))" in text or "_distinct" in text:
        return correct(5.0, 0.5)
    return failed(Outcome.INCORRECT, "test failed (exit status 1): counts differ")


def test_grade_splices_the_answer_with_its_helpers_and_hands_it_to_the_harness() -> None:
    harness = FakeHarness(_grades)
    subject = _subject()
    graded = asyncio.run(grading.grade(harness, subject, f"Here:\n{HELPERS}", label="r0-a"))

    assert graded.outcome == "correct" and graded.speedup == 5.0 and graded.ci95 == (4.5, 5.5)
    assert graded.parts is not None and graded.new_text is not None
    used = {(p.kind, p.name) for p in graded.parts.used}
    assert ("new", "_distinct") in used and ("target", "unique_count") in used
    assert any(p.kind == "include" for p in graded.parts.used)
    (files,) = harness.files
    assert files == {"src/unique_count.py": graded.new_text}  # what was built is what is kept
    assert "def _distinct(items):" in graded.new_text and "import itertools" in graded.new_text
    assert graded.measured is not None and graded.measured.label == "r0-a"


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        ("I would use a set.", "no fenced code block"),
        ("```python\ndef something_else(items):\n    return 0\n```", "unique_count"),
    ],
)
def test_a_reply_that_cannot_be_built_is_graded_not_built(reply: str, why: str) -> None:
    harness = FakeHarness(_grades)
    graded = asyncio.run(grading.grade(harness, _subject(), reply, label="r0-a"))
    assert isinstance(graded.evaluation, grading.NotBuilt)
    assert graded.outcome == "not_compilable" and why in graded.detail
    assert graded.speedup is None and graded.measured is None and graded.new_text is None
    assert harness.files == []  # never reached the harness


# ----------------------------------------------------------------------------- strategies


#: The scripted model: the fast variant for every code prompt; prose for the rest.
_reply = strategy_replies(lambda prompt: f"Reasoning first.\n{FAST}")


def _words(text: str) -> int:  # the fake server's token count (tests/fakes/llm_server.py)
    return max(1, len(text.split()))


async def _run_strategy(name: str, tmp: Path, fake: FakeLLM, harness: FakeHarness) -> ProblemResult:
    work = tmp / name / "unique_count"
    shutil.copytree(SUITE / "unique_count", work)
    problem = load_problem(work)
    team_cfg: tuple[AgentConfig, ...] = (
        AgentConfig(name="a", provider="openai", model="fake-a", base_url=fake.base_url),
        AgentConfig(name="b", provider="openai", model="fake-b", base_url=fake.base_url),
    )
    if strategies.is_solo(name):
        team_cfg = solo_agents(team_cfg)
    team = await build_team(problem.config, agents=team_cfg, cache=False)
    try:
        ctx = StrategyContext(
            problem=problem,
            team=team,
            rounds=ROUNDS,
            run_id=f"test-{name}",
            harness_factory=harness,
        )
        return await strategies.get(name)(ctx)
    finally:
        await team.aclose()


@pytest.mark.parametrize("again", [4.0, 0.9])
@pytest.mark.parametrize("name", strategies.NAMES)
def test_every_strategy_answers_by_re_measurement_and_counts_usage_once(
    name: str, again: float, tmp_path: Path, fake_llm: FakeLLM
) -> None:
    """Every sample measures 5x at first; fresh pairs say `again`. The answer is the fastest
    re-measured one, at the re-measured figure, kept even when not faster (the benchmark's
    rule; `verified` tells), the same for the loop's `lessonl` as for the others."""
    fake_llm.script_fn(_reply)
    harness = FakeHarness(_grades, retime=lambda ev: correct(again, 0.05))
    result = asyncio.run(_run_strategy(name, tmp_path, fake_llm, harness))

    assert result.outcome == "correct" and result.speedup == again, result
    assert result.verified is (again > 1.5)
    assert result.code is not None and "len(set(items))" in result.code
    assert len(harness.retimed) == grading.REMEASURE_TOP  # the 3 fastest as first measured
    assert harness.closed and harness.opened == 1
    extra = 1 if name == "moa" else 0  # MoA's aggregator
    assert result.samples == len(harness.labels) == ROUNDS * 2 + extra
    # Tokens: every model call once, whoever made it (the loop or a Session).
    calls = fake_llm.requests
    assert result.input_tokens == sum(_words(r.prompt) for r in calls)
    assert result.output_tokens == sum(_words(_reply(r)) for r in calls)


def test_parts_not_used_for_one_reason_are_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    """A small model echoing a whole file of a real project gave one warning per echoed
    function (eighteen identical lines on toolz); parts left out for the same reason are now
    one line naming them, and a part with a reason of its own keeps its own line."""
    subject = _subject()
    echoed = [f"def extra_{i}(x):\n    return x + {i}\n" for i in range(7)]
    source = subject.source + "\n\n" + "\n\n".join(echoed)
    subject = grading.Subject(source, "python", "unique_count", subject.file)
    rewritten = "\n\n".join(e.replace("+", "-") for e in echoed)
    reply = f"```python\ndef unique_count(items):\n    return len(set(items))\n\n\n{rewritten}```"
    with caplog.at_level("WARNING", logger="lessonl.grading"):
        graded = asyncio.run(grading.grade(FakeHarness(_grades), subject, reply, label="r0-a"))
    assert graded.parts is not None and len(graded.parts.ignored) == 7
    lines = [r.getMessage() for r in caplog.records if "not used" in r.getMessage()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(
        "r0-a: 7 parts of the answer not used: extra_0, extra_1, extra_2, extra_3, extra_4 "
        "and 2 more (not rewritten: "
    ), lines[0]
