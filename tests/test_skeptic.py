"""The skeptic's attack on its own: a real recording of tests/data/auto_skeptic, the real
runner in the project's interpreter, the model answering through the fake server. Whatever the
skeptic answers, a bad answer is dropped with a note and never turns into a verdict."""

from __future__ import annotations

import shutil
from pathlib import Path

from fakes import FakeLLM
from fakes.strategies import skeptic_inputs

from lessonl import auto
from lessonl.auto.skeptic import DROPPED, PASSED, REFUTED, Skeptic
from lessonl.config import load_config
from lessonl.llm import build_team
from lessonl.llm.types import Usage

DATA = Path(__file__).resolve().parent / "data"
FILE = "evens/count.py"

WRONG = '''def count_even(values):
    """How many of the values are even (floats included: 4.0 is even, 4.5 is not)."""
    return sum(1 for v in values if not v & 1)
'''

RIGHT = '''def count_even(values):
    """How many of the values are even (floats included: 4.0 is even, 4.5 is not)."""
    return sum(1 for v in values if v % 2 == 0)
'''

NOT_DETERMINISTIC = """```python
import time


def generate_inputs():
    return [(([int(time.time() * 1e6) % 97, 4.5],), {})]
```"""


async def test_a_skeptic_s_bad_answers_are_dropped_its_good_ones_judge(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    root = tmp_path / "proj"
    shutil.copytree(DATA / "auto_skeptic", root)
    (root / "lessonl.toml").write_text(
        f'[run]\ncache = false\n\n[[agents]]\nname = "s"\nprovider = "openai"\nmodel = "s"\n'
        f'base_url = "{fake_llm.base_url}"\nmax_retries = 0\napi_key_env = "NO_KEY_NEEDED"\n',
        encoding="utf-8",
    )
    config = load_config(root)
    made = await auto.prepare(config, root / FILE, "count_even")
    original = (root / FILE).read_text(encoding="utf-8")
    answers: list[str] = []
    fake_llm.script_fn(lambda req: answers.pop(0))
    team = await build_team(config, cache=False, env={"NO_KEY_NEEDED": "x"})
    try:
        skeptic = Skeptic(
            agent=team.agents[0],
            recording=made.recording,
            root=root,
            rel=FILE,
            qualname="count_even",
            function="count_even",
            original=original,
            secret_names=[],
            max_tokens=512,
        )

        async def attack(answer: str | list[str], candidate_code: str) -> tuple[str, int, str]:
            """One attack, asking the skeptic exactly the answers given, in order (a
            generator whose inputs are unusable is asked again, shown why)."""
            answers[:] = [answer] if isinstance(answer, str) else answer
            candidate = original.replace(original[original.index("def count_even") :], "")
            verdict = await skeptic.attack(candidate + candidate_code, Usage(), run_id="t", round=0)
            assert not answers, f"the skeptic was asked fewer times: {verdict}"
            return verdict.status, verdict.inputs, verdict.detail

        floats = skeptic_inputs("(([4.0, 4.5, 3],), {})", "(([2, 3],), {})")
        status, inputs, detail = await attack(floats, WRONG)
        assert (status, inputs) == (REFUTED, 2)
        assert detail == (  # as the README shows it
            "on an input the skeptic chose: call 1 of 2, count_even([4.0, 4.5, 3]): raised "
            "TypeError: unsupported operand type(s) for &: 'float' and 'int', expected 1"
        )
        assert (await attack(floats, RIGHT))[:2] == (PASSED, 2)
        # garbage, an exception, non-deterministic inputs, inputs that all crash the original
        status, _, detail = await attack("no code at all", WRONG)
        assert status == DROPPED and "without a generate_inputs() function" in detail
        status, _, detail = await attack(
            ["```python\ndef generate_inputs():\n    return 1 / 0\n```"] * 2, WRONG
        )
        assert status == DROPPED and "ZeroDivisionError" in detail
        status, _, detail = await attack([NOT_DETERMINISTIC] * 2, WRONG)
        assert status == DROPPED and "not deterministic" in detail
        status, _, detail = await attack([skeptic_inputs("((None,), {})", "((3,), {})")] * 2, WRONG)
        assert status == DROPPED and "none of its inputs is usable" in detail
        status, _, detail = await attack(["```python\ngenerate_inputs = 3\n```"] * 2, WRONG)
        assert status == DROPPED and "the input generator failed" in detail
        assert detail.endswith("(asked 2 times)")
        # A first answer with placeholders (what the local model wrote on toolz) is asked
        # again with its error, and the second answer's inputs judge.
        placeholder = "```python\ndef generate_inputs():\n    return [x for x in ...]\n```"
        asked = len(fake_llm.requests)
        status, inputs, detail = await attack([placeholder, floats], WRONG)
        assert (status, inputs) == (REFUTED, 2), detail
        first, second = fake_llm.requests[asked:]
        assert "previous generate_inputs() gave no usable inputs" not in first.prompt
        assert "'ellipsis' object is not iterable" in second.prompt
    finally:
        await team.aclose()
    assert not (made.recording.folder.parent / "skeptic").exists() or not any(
        (made.recording.folder.parent / "skeptic").iterdir()
    )  # each attack's copy is removed
    assert [r.prompt.count("def count_even") for r in fake_llm.requests][:1] == [2]
