"""The automatic Python target through the real CLI: `lessonl optimize FILE:FUNC` in projects
without a `[[targets]]` entry, judged by the projects' own pytest tests and recorded calls.

The projects are under tests/data/ (copied to a temporary folder); the team is a `--team`
file whose agents talk to the fake LLM server. Replies are real Python: the harness builds,
checks and times every variant with the generated runner commands.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import FakeLLM, FakeRequest
from fakes.strategies import is_skeptic_request, skeptic_inputs
from loop_project import by_agent, is_lesson_request

DATA = Path(__file__).resolve().parent / "data"

FAST_DEDUPE = '''```python
def dedupe(words):
    """The words without repeats, each kept at its first occurrence, in order."""
    return list(dict.fromkeys(words))
```'''

# Loses the order: the project's tests only check which tags come out, so they pass; the
# recorded calls must reject it.
UNORDERED_TAGS = '''```python
def unique_tags(tags):
    """Lower-cased tags without repeats."""
    return list({t for t in (tag.strip().lower() for tag in tags) if t})
```'''


def _project(tmp: Path, name: str) -> Path:
    root = tmp / name
    shutil.copytree(DATA / name, root, ignore=shutil.ignore_patterns(".lessonl", "__pycache__"))
    return root


def _team(tmp: Path, fake: FakeLLM, agents: tuple[str, ...] = ("alpha",)) -> Path:
    lines = []
    for name in agents:
        lines += [
            "[[agents]]",
            f'name = "{name}"',
            'provider = "openai"',
            f'model = "{name}"',
            f'base_url = "{fake.base_url}"',
            "max_retries = 0",
            "",
        ]
    path = tmp / "team.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _lessonl(*args: str, cwd: Path, timeout: float = 400) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "lessonl", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def _variants(report: dict) -> list[dict]:
    return [v for r in report["rounds"] for v in r["variants"]]


def test_optimize_without_config_records_calls_and_judges_variants(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    fake_llm.script_fn(by_agent({"alpha": FAST_DEDUPE}))
    root = _project(tmp_path, "auto_pkg")
    team = _team(tmp_path, fake_llm)
    original = (root / "textkit/words.py").read_text()
    code, out, err = _lessonl(
        "optimize",
        "textkit/words.py:dedupe",
        "--rounds",
        "1",
        "--json",
        "--team",
        str(team),
        cwd=root,
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["target"] == "auto-dedupe"
    v = report["verification"]
    assert v["kind"] == "recorded_calls"
    # test_dedupe_small, five parametrized sizes, the TypeError case; not the other tests
    assert len(v["tests"]) == 7 and all("dedupe" in t for t in v["tests"])
    assert v["recorded_calls"] == 7 and v["generated_inputs"] == 0
    assert v["interpreter"] == sys.executable and "LessonL" in v["interpreter_source"]
    (variant,) = _variants(report)
    assert variant["outcome"] == "correct", variant
    assert "team: 1 agent from " + str(team) + " (--team)" in " ".join(err.split())
    assert "recorded 7 calls" in err
    assert (root / "textkit/words.py").read_text() == original


def test_recorded_calls_reject_a_rewrite_the_tests_let_through(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    fake_llm.script_fn(by_agent({"alpha": UNORDERED_TAGS}))
    root = _project(tmp_path, "auto_order")
    team = _team(tmp_path, fake_llm)
    code, out, err = _lessonl(
        "optimize",
        "tags/clean.py:unique_tags",
        "--rounds",
        "1",
        "--json",
        "--team",
        str(team),
        cwd=root,
    )
    assert code == 0, err
    report = json.loads(out)
    (variant,) = _variants(report)
    assert variant["outcome"] == "incorrect"
    # Which recorded call differs first depends on the set's order, i.e. on the hash seed of
    # the variant's process: any call, said in words with what it returned and should have.
    assert re.search(
        r"call \d+ of \d+, unique_tags\(\[.*\]\): returned \[.*\], expected \[.*\]",
        variant["detail"],
    ), variant["detail"]
    assert report["best"] is None


# The docstring's fenced example comes back in the answer: the reply's block must not end at
# the docstring's closing fence (issue 29: every answer for such a function was refused).
FAST_INTCOMMA = """Faster, with the docstring kept:
```python
def intcomma(value):
    \"\"\"Converts an integer to a string containing commas every three digits.

    ```python
    >>> intcomma(1000000)
    '1,000,000'
    ```
    \"\"\"
    return f"{int(value):,}"
```
It formats in C."""


def test_an_answer_whose_docstring_holds_a_fence_is_judged(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    fake_llm.script_fn(by_agent({"alpha": FAST_INTCOMMA}))
    root = _project(tmp_path, "auto_fence")
    team = _team(tmp_path, fake_llm)
    code, out, err = _lessonl(
        "optimize",
        "numfmt/commas.py:intcomma",
        "--rounds",
        "1",
        "--json",
        "--team",
        str(team),
        cwd=root,
    )
    assert code == 0, err
    report = json.loads(out)
    (variant,) = _variants(report)
    assert variant["outcome"] == "correct", variant
    assert variant["answer_parts"]["used"] == [{"kind": "target", "name": "intcomma"}]


# Both are linear instead of quadratic; WRONG breaks on floats (`v & 1`), which the project's
# tests never pass: every recorded call agrees, only the skeptic's inputs show it.
EVENS_WRONG = """```python
def count_even(values):
    \"\"\"How many of the values are even (floats included: 4.0 is even, 4.5 is not).\"\"\"
    return sum(1 for v in values if not v & 1)
```"""

EVENS_RIGHT = """```python
def count_even(values):
    \"\"\"How many of the values are even (floats included: 4.0 is even, 4.5 is not).\"\"\"
    return sum(1 for v in values if v % 2 == 0)
```"""

# One input the original rejects (discarded), one that shows the difference, one plain.
SKEPTIC_FLOATS = skeptic_inputs("((None,), {})", "(([4.0, 4.5, 3],), {})", "(([2, 3],), {})")


def _optimize_evens(
    tmp_path: Path, fake_llm: FakeLLM, agents: tuple[str, ...], config: str = ""
) -> dict:
    root = _project(tmp_path, "auto_skeptic")
    if config:
        (root / "lessonl.toml").write_text(config, encoding="utf-8")
    team = _team(tmp_path, fake_llm, agents)
    code, out, err = _lessonl(
        "optimize",
        "evens/count.py:count_even",
        "--rounds",
        "1",
        "--json",
        "--team",
        str(team),
        cwd=root,
    )
    assert code == 0, err
    report: dict = json.loads(out)
    return report


def test_the_skeptic_refutes_a_rewrite_wrong_where_the_tests_never_look(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    def lesson(req: FakeRequest) -> str:
        return "LESSON: `v & 1` only works on integers." if "4.5" in req.prompt else "A lesson."

    fake_llm.script_fn(
        by_agent(
            {"alpha": EVENS_WRONG, "beta": EVENS_RIGHT},
            lesson=lesson,
            skeptic=lambda req: SKEPTIC_FLOATS,
        )
    )
    report = _optimize_evens(tmp_path, fake_llm, ("alpha", "beta"))
    variants = {v["agent"]: v for v in _variants(report)}
    wrong, right = variants["alpha"], variants["beta"]
    assert wrong["outcome"] == "incorrect" and wrong["speedup"] is None
    assert wrong["skeptic"]["status"] == "refuted"
    assert wrong["skeptic"]["inputs"] == 2  # count_even(None) made the original raise
    assert "on an input the skeptic chose" in wrong["detail"]
    assert "count_even([4.0, 4.5, 3]): raised TypeError" in wrong["detail"], wrong["detail"]
    assert right["outcome"] == "correct" and right["skeptic"]["status"] == "passed"
    assert report["best"]["agent"] == "beta"
    skeptic_asks = [r for r in fake_llm.requests if is_skeptic_request(r)]
    assert len(skeptic_asks) == 2  # one call per candidate that would win, no more
    assert "def count_even(values):" in skeptic_asks[0].prompt
    # the refuted agent's lesson was asked with the input that shows the difference
    lessons = [r for r in fake_llm.requests if is_lesson_request(r) and r.model == "alpha"]
    assert any("4.5" in r.prompt for r in lessons)


def test_run_skeptic_false_turns_the_skeptic_off(tmp_path: Path, fake_llm: FakeLLM) -> None:
    fake_llm.script_fn(by_agent({"alpha": EVENS_WRONG}, skeptic=lambda req: SKEPTIC_FLOATS))
    report = _optimize_evens(tmp_path, fake_llm, ("alpha",), "[run]\nskeptic = false\n")
    (variant,) = _variants(report)
    # Without the skeptic the recorded calls are all there is, and they let it through.
    assert variant["outcome"] == "correct" and "skeptic" not in variant
    assert not [r for r in fake_llm.requests if is_skeptic_request(r)]


def test_a_skeptic_answering_garbage_is_dropped_and_the_winner_still_wins(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    fake_llm.script_fn(by_agent({"beta": EVENS_RIGHT}, skeptic=lambda req: "```python\n1/0(\n```"))
    root = _project(tmp_path, "auto_skeptic")
    team = _team(tmp_path, fake_llm, ("beta",))
    args = ("optimize", "evens/count.py:count_even", "--rounds", "1", "--team", str(team))
    code, out, err = _lessonl(*args, cwd=root)
    assert code == 0, err
    # The winner the skeptic could not attack says so beside it, not only in the report.
    assert (
        "skeptic: it could not attack this variant, which rests on the tests' evidence above "
        "alone (beta answered without a generate_inputs() function"
    ) in out, out
    (path,) = re.findall(r"^report: (.+)$", out, re.M)
    report = json.loads((root / path).read_text(encoding="utf-8"))
    (variant,) = _variants(report)
    assert variant["outcome"] == "correct"
    assert variant["skeptic"]["status"] == "dropped"
    assert "answered without a generate_inputs() function" in variant["skeptic"]["detail"]
    assert any("skeptic dropped" in n for n in report["verification"]["notes"])
    assert report["best"]["agent"] == "beta"


FAST_TEXT_OF = """```python
def text_of(tokens, kind):
    \"\"\"The values of the tokens of type `kind` (or a sub-type of it), joined by spaces.\"\"\"
    n = len(kind)
    return " ".join([value for ttype, value in tokens if ttype[:n] == kind])
```"""


def test_arguments_that_cannot_be_loaded_back_say_so_and_the_tests_judge(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    # The token type pickles but cannot be unpickled (a pygments-like __getattr__ trap): no
    # recorded call can be replayed, for that reason, not "fixtures or global state".
    root = _project(tmp_path, "auto_unloadable")
    code, out, err = _lessonl("target", "lexing/tokens.py:text_of", "--json", cwd=root)
    assert code == 0, err
    v = json.loads(out)["verification"]
    assert v["recorded_calls"] == 0 and len(v["tests"]) == 2
    (reason,) = [k for k in v["left_out"] if "not reproducible" not in k]
    assert "cannot be loaded back" in reason and v["left_out"][reason] >= 2
    notes = " ".join(v["notes"])
    assert "TypeError: 'TokenType' object is not callable" in notes
    assert "judged by the 2 tests that call text_of and timed inside them" in notes
    assert "fixtures" not in notes

    fake_llm.script_fn(by_agent({"alpha": FAST_TEXT_OF}))
    team = _team(tmp_path, fake_llm)
    code, out, err = _lessonl(
        "optimize",
        "lexing/tokens.py:text_of",
        "--rounds",
        "1",
        "--json",
        "--team",
        str(team),
        cwd=root,
    )
    assert code == 0, err
    (variant,) = _variants(json.loads(out))
    assert variant["outcome"] == "correct", variant  # checked by the tests, timed inside them
    assert variant["speedup"] is not None


def test_target_json_prints_the_error_and_never_points_at_itself(tmp_path: Path) -> None:
    root = _project(tmp_path, "auto_untested")
    code, out, err = _lessonl("target", "lonely.py:total", "--json", cwd=root)
    assert code == 2
    failed = json.loads(out)
    assert failed["toml"] is None and failed["verification"] is None
    assert failed["error"] in err and "no test calls total" in failed["error"]
    assert "lessonl target" not in err
    advice = 'a [[targets]] entry with your own test and bench commands (README, "Configuration")'
    assert advice in " ".join(err.split())


def test_explicit_target_wins_and_its_test_is_the_verification(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    fake_llm.script_fn(by_agent({"alpha": FAST_DEDUPE}))
    root = _project(tmp_path, "auto_pkg")
    (root / "lessonl.toml").write_text(
        "[[targets]]\n"
        'name = "mine"\n'
        'files = ["textkit/words.py"]\n'
        'test = "{python} -c \\"import textkit\\""\n'
        'bench = "{python} -c \\"import textkit\\""\n'
        "min_pairs = 2\nmax_pairs = 3\ntiming_budget_s = 1\n",
        encoding="utf-8",
    )
    team = _team(tmp_path, fake_llm)
    code, out, err = _lessonl(
        "optimize",
        "textkit/words.py:dedupe",
        "--rounds",
        "1",
        "--json",
        "--team",
        str(team),
        cwd=root,
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["target"] == "mine"
    v = report["verification"]
    assert {k: v[k] for k in ("kind", "target", "test")} == {
        "kind": "target",
        "target": "mine",
        "test": '{python} -c "import textkit"',
    }
    # `-c` is not a script coverage.py can run: not measured, and the note says why.
    assert v["coverage"] is None
    assert v["notes"] == [
        "coverage not measured: the target's test command passes options to Python before "
        "its script"
    ]
    assert "recording" not in err


def test_tests_failing_on_the_original_stop_the_run(tmp_path: Path, fake_llm: FakeLLM) -> None:
    root = _project(tmp_path, "auto_failing")
    code, out, err = _lessonl(
        "optimize", "mathy.py:mean", "--team", str(_team(tmp_path, fake_llm)), cwd=root
    )
    assert code == 2 and out == ""
    last = err.strip().splitlines()[-1]
    assert "fail on the original code" in last
    assert "tests/test_mathy.py::test_mean_is_wrong_on_purpose" in last
    # ... and why, from pytest's own report of the first failure.
    assert "first error: tests/test_mathy.py::test_mean_is_wrong_on_purpose: assert 1.5 == 2" in (
        last
    )
    assert "Traceback" not in err
    assert fake_llm.requests == []  # nothing was asked of the model


SAME_MEAN = "```python\ndef mean(values):\n    return sum(values) / len(values)\n```"


def test_failing_tests_that_never_call_the_function_are_left_out_with_a_note(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    """boltons 24.1.0 was refused because one of its tests, about files and path-dependent,
    fails in LessonL's copy of the project. A failing test that never calls the function
    judges no variant: it is left out and the report says so; one that calls it still stops
    the run (the test above)."""
    fake_llm.script_fn(by_agent({"alpha": SAME_MEAN}))
    root = _project(tmp_path, "auto_failing")
    (root / "tests" / "test_mathy.py").write_text(
        "from mathy import mean\n\n\ndef test_mean():\n    assert mean([1, 2, 3]) == 2\n\n\n"
        "def test_sorting_fails():\n    assert sorted([2, 1]) == [2, 1]\n",
        encoding="utf-8",
    )
    code, out, err = _lessonl(
        "optimize",
        "mathy.py:mean",
        "--rounds",
        "1",
        "--json",
        "--team",
        str(_team(tmp_path, fake_llm)),
        cwd=root,
    )
    assert code == 0, err
    notes = json.loads(out)["verification"]["notes"]
    (note,) = [n for n in notes if "tests/test_mathy.py::test_sorting_fails" in n]
    assert note.startswith(
        "1 of the project's tests fail on the original code in LessonL's copy of the project "
        "(tests/test_mathy.py::test_sorting_fails; first error: "
    ), note
    assert "none of them calls mean, so they judge no variant and were left out" in note
    assert not any(n.startswith("test_failure:") for n in notes), notes


@pytest.mark.parametrize("where", ["mathy.py", "tests/test_mathy.py"])
def test_a_project_not_installed_where_its_tests_run_is_named_as_such(
    tmp_path: Path, fake_llm: FakeLLM, where: str
) -> None:
    # As humanize 4.9's sdist: its package reads its own version from installed metadata, so
    # its tests fail until it is installed; "4 tests fail" alone sent the user hunting. The
    # module itself, or only its tests, may be what cannot be imported.
    root = _project(tmp_path, "auto_failing")
    (root / where).write_text(
        "from importlib.metadata import version\n__version__ = version('mathy-not-installed')\n"
        + (root / where).read_text()
    )
    code, _, err = _lessonl(
        "optimize", "mathy.py:mean", "--team", str(_team(tmp_path, fake_llm)), cwd=root
    )
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert "PackageNotFoundError: No package metadata was found for mathy-not-installed" in last
    assert "is the project installed in the interpreter its tests run with?" in last
    assert "Traceback" not in err


def test_no_test_reaching_the_function_says_what_to_add(tmp_path: Path, fake_llm: FakeLLM) -> None:
    root = _project(tmp_path, "auto_untested")
    code, _out, err = _lessonl(
        "optimize", "lonely.py:total", "--team", str(_team(tmp_path, fake_llm)), cwd=root
    )
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert "no test calls total (1 tests ran)" in last
    # The one agent asked for an input generator answered without one ("OK"): nothing judges.
    assert "generated inputs did not help (alpha wrote no generate_inputs() function)" in last
    assert "add a test that calls it, or a [[targets]] entry" in last
    assert len(fake_llm.requests) == 1 and "generate_inputs" in fake_llm.requests[0].prompt


GENERATOR = """```python
import random


def generate_inputs():
    rng = random.Random(1234)
    out = [((v,), {}) for v in ([], [0], [-3, 3])]
    for n in (5, 50, 500):
        out.append(((([rng.randint(-9, 9) for _ in range(n)]),), {}))
    return out
```"""

TOTAL_RIGHT = """```python
def total(values):
    return sum(values)
```"""

TOTAL_WRONG = """```python
def total(values):
    return sum(v for v in values if v > 0)
```"""


def test_generated_inputs_judge_a_function_no_test_reaches(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    def reply(req: FakeRequest) -> str:
        if "generate_inputs" in req.prompt:
            return GENERATOR
        if is_lesson_request(req):
            return "A lesson."
        return TOTAL_RIGHT if req.model == "alpha" else TOTAL_WRONG

    fake_llm.script_fn(reply)
    root = _project(tmp_path, "auto_untested")
    team = _team(tmp_path, fake_llm, ("alpha", "beta"))
    code, out, err = _lessonl(
        "optimize", "lonely.py:total", "--rounds", "1", "--json", "--team", str(team), cwd=root
    )
    assert code == 0, err
    report = json.loads(out)
    v = report["verification"]
    assert v["recorded_calls"] == 0 and v["tests"] == []
    assert v["generated_inputs"] == 6
    outcomes = {x["agent"]: x for x in _variants(report)}
    assert outcomes["alpha"]["outcome"] == "correct"
    assert outcomes["beta"]["outcome"] == "incorrect"
    assert "total([-3, 3]): returned 3, expected 0" in outcomes["beta"]["detail"]
    assert "plus 6 generated inputs" in err
    # Every model call is in the run's usage, the input generator's too (it was left out).
    asked = fake_llm.requests
    generator = [r for r in asked if "generate_inputs" in r.prompt and not is_skeptic_request(r)]
    assert len(generator) == 1
    assert any(is_skeptic_request(r) for r in asked)  # alpha's would-be winner was attacked
    words = [(len(r.prompt.split()), len(reply(r).split())) for r in asked]
    assert report["usage"]["input_tokens"] == sum(i for i, _ in words)
    assert report["usage"]["output_tokens"] == sum(o for _, o in words)


def test_generators_and_async_functions_are_refused_in_one_line(tmp_path: Path) -> None:
    root = _project(tmp_path, "auto_untested")
    for func, kind in (("squares", "generator"), ("fetch", "async function")):
        code, _out, err = _lessonl("target", f"lonely.py:{func}", cwd=root)
        assert code == 2
        assert err.count("\n") == 1 and f"is a{'n' if kind[0] == 'a' else ''} {kind}" in err
        assert "not supported yet" in err


def test_target_prints_the_entry_it_amounts_to(tmp_path: Path) -> None:
    import tomllib

    root = _project(tmp_path, "auto_pkg")
    code, out, err = _lessonl("target", "textkit/words.py:Counter.add", cwd=root)
    assert code == 0, err
    (entry,) = tomllib.loads(out)["targets"]
    assert entry["name"] == "auto-Counter.add" and entry["files"] == ["textkit/words.py"]
    assert " check " in entry["test"] and " bench " in entry["bench"]
    assert "--qualname Counter.add" in entry["test"]
    # No path of this machine (it printed the project's and lessonl's absolute paths, so the
    # entry could not be committed as the README says): placeholders the harness expands.
    assert str(root) not in out and str(tmp_path) not in out
    assert str(Path(sys.executable).parent) not in out
    assert entry["test"].startswith("{python} {lessonl_runner} check ")
    recording = entry["test"].split("--recording ")[1].split()[0]
    assert recording.startswith("{project}/.lessonl/auto/")
    assert Path(recording.replace("{project}", str(root)), "calls.pkl").is_file()
    assert all(not Path(p).is_absolute() for p in entry["readable"])

    # The entry works as written: pasted into lessonl.toml, `lessonl evaluate` judges the
    # original by it (the harness expands the placeholders), in a sandbox or not.
    (root / "lessonl.toml").write_text(out, encoding="utf-8")
    candidate = tmp_path / "words.py"
    shutil.copy(root / "textkit" / "words.py", candidate)
    code, out, err = _lessonl(
        "evaluate", "textkit/words.py", "--candidate", str(candidate), "--json", cwd=root
    )
    assert code == 0, err
    assert json.loads(out)["outcome"] == "correct", out


def test_pytest_missing_in_the_project_interpreter(tmp_path: Path) -> None:
    root = _project(tmp_path, "auto_pkg")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    code, _out, err = _lessonl("target", "textkit/words.py:dedupe", cwd=root)
    assert code == 2
    assert "pytest is not installed in" in err and ".venv/bin/python" in err
    assert "the project's .venv" in err


# Right on every call, so the recorded calls pass; its docstring no longer says "loud", which
# one of the project's tests checks.
QUIET_SHOUT = '''```python
def shout(text):
    """Upper-cased text with an exclamation mark."""
    return text.upper() + "!"
```'''


def test_a_failing_project_test_is_reported_by_its_assertion_without_colour(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    """The project forces pytest's colour (addopts = "--color=yes"); the variant's detail is
    still plain text and its first line is the failing test's assertion."""
    fake_llm.script_fn(by_agent({"alpha": QUIET_SHOUT}))
    root = _project(tmp_path, "auto_color")
    team = _team(tmp_path, fake_llm)
    code, out, err = _lessonl(
        "optimize", "shout/loud.py:shout", "--rounds", "1", "--json", "--team", str(team), cwd=root
    )
    assert code == 0, err
    (variant,) = _variants(json.loads(out))
    assert variant["outcome"] == "incorrect", variant
    assert "\x1b" not in variant["detail"] and "[0m" not in variant["detail"], variant["detail"]
    first = variant["detail"].splitlines()[0]
    assert first.startswith("test failed (exit status 1): the project's tests fail: "), first
    assert "test_shout_says_it_is_loud" in first, first
    assert "shout's docstring must say it is loud" in first, first


# Skips the copy "when the input is already a list", so it empties the caller's list. The
# project's tests pass only strings, tuples and an empty list: every recorded call agrees.
UNIQUE_NO_COPY = '''```python
def ordered_unique(items):
    """The distinct items of `items` in order of first appearance, as a new list."""
    pending = items if isinstance(items, list) else list(items)
    pending.reverse()
    seen = set()
    out = []
    while pending:
        item = pending.pop()
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
```'''

UNIQUE_FAST = '''```python
def ordered_unique(items):
    """The distinct items of `items` in order of first appearance, as a new list."""
    return list(dict.fromkeys(items))
```'''


def test_a_rewrite_mutating_a_list_the_tests_never_pass_is_incorrect_without_the_model(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    # Every request, the input generator's included, is answered with code only: what
    # rejects the rewrite is the property-based inputs derived from the recorded calls.
    fake_llm.script_fn(by_agent({"alpha": UNIQUE_NO_COPY, "beta": UNIQUE_FAST}))
    root = _project(tmp_path, "auto_mutate")
    team = _team(tmp_path, fake_llm, ("alpha", "beta"))
    code, out, err = _lessonl(
        "optimize",
        "seqtools/uniq.py:ordered_unique",
        "--rounds",
        "1",
        "--json",
        "--team",
        str(team),
        cwd=root,
    )
    assert code == 0, err
    report = json.loads(out)
    outcomes = {x["agent"]: x for x in _variants(report)}
    assert outcomes["alpha"]["outcome"] == "incorrect", outcomes["alpha"]
    detail = outcomes["alpha"]["detail"]
    assert re.search(
        r"^test failed \(exit status 1\): call \d+ of \d+, ordered_unique\(\[.+\]\): "
        r"left argument 1 different from the original",
        detail,
    ), detail
    # Said once, in words: the runner's marked line is not repeated beneath it.
    assert "LESSONL_MISMATCH" not in detail and detail.count("different from") == 1, detail
    assert outcomes["beta"]["outcome"] == "correct", outcomes["beta"]
    v = report["verification"]
    assert v["recorded_calls"] == 5 and v["property_inputs"] > 0
    assert v["coverage"]["lines"] == 100.0 and v["coverage"]["branches"] == 100.0
    assert v["summary"].startswith(
        f"verified on 5 recorded + {v['property_inputs']} property-based calls covering 100% "
        "of ordered_unique's branches"
    )
    assert v["summary"] in " ".join(err.split())
    if report["best"] is not None:  # 0.5 s of timing on a loaded machine may not show it
        assert v["summary"] in report["summary"] or v["weak"] is None


def test_a_pure_predicate_over_slotted_objects_with_their_own_eq_still_verifies(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    fast = '''```python
def inside(box, point):
    """Whether `point` lies in `box`, edges included."""
    low, high = box.low, box.high
    return low.x <= point.x <= high.x and low.y <= point.y <= high.y
```'''
    wrong = '''```python
def inside(box, point):
    """Whether `point` lies in `box`, edges included."""
    low, high = box.low, box.high
    return low.x <= point.x <= high.x and low.y <= point.y
```'''
    fake_llm.script_fn(by_agent({"alpha": fast, "beta": wrong}))
    root = _project(tmp_path, "auto_slots")
    team = _team(tmp_path, fake_llm, ("alpha", "beta"))
    code, out, err = _lessonl(
        "optimize",
        "geom/shapes.py:inside",
        "--rounds",
        "1",
        "--json",
        "--team",
        str(team),
        cwd=root,
    )
    assert code == 0, err
    report = json.loads(out)
    outcomes = {x["agent"]: x for x in _variants(report)}
    assert outcomes["alpha"]["outcome"] == "correct", outcomes["alpha"]
    assert outcomes["beta"]["outcome"] == "incorrect", outcomes["beta"]
    v = report["verification"]
    assert v["recorded_calls"] == 6
    assert v["coverage"]["branches"] == 100.0 and v["coverage"]["uncovered_lines"] == ""


def test_derived_inputs_raise_the_coverage_the_tests_leave_low(tmp_path: Path) -> None:
    root = _project(tmp_path, "auto_branches")
    code, out, err = _lessonl("target", "marks/grades.py:grade", cwd=root)
    assert code == 0, err
    # The tests reach "A" and "B" only (50% of the branches): below the threshold, so the
    # larger budget of derived integers, which reach "C" and "F". Those out of range make the
    # original raise and are discarded, so the `raise` line stays uncovered, and says so.
    line = next(x for x in out.splitlines() if x.startswith("# verified on"))
    assert re.fullmatch(
        r"# verified on 2 recorded \+ \d+ property-based calls covering 87.5% of grade's "
        r"branches; uncovered: line 8\.",
        line,
    ), line


def test_evaluate_without_config_uses_the_automatic_target(tmp_path: Path) -> None:
    """`lessonl evaluate FILE:FUNCTION` in a project without lessonl.toml goes through the
    door `optimize` goes through (lessonl.run): the recorded calls judge the candidate (it
    used to say "no lessonl.toml found"). No model: no generator, no skeptic."""
    root = _project(tmp_path, "auto_pkg")
    wrong = tmp_path / "wrong.py"
    wrong.write_text("def dedupe(words):\n    return sorted(set(words))\n", encoding="utf-8")
    code, out, err = _lessonl(
        "evaluate", "textkit/words.py:dedupe", "--candidate", str(wrong), "--json", cwd=root
    )
    assert code == 0, err
    assert "recorded 7 calls" in err
    assert json.loads(out)["outcome"] == "incorrect"
    fast = tmp_path / "fast.py"
    fast.write_text(FAST_DEDUPE.split("\n", 1)[1].rsplit("```", 1)[0], encoding="utf-8")
    code, out, err = _lessonl(
        "evaluate", "textkit/words.py:dedupe", "--candidate", str(fast), cwd=root
    )
    assert code == 0, err
    assert out.startswith("correct") and "on target auto-dedupe" in out
