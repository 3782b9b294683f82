"""Coverage of a hand-written target's function under its own test (issue 29): measured once
on the original with coverage.py, in the harness's sandbox, for a Python test command; null
with a note, and no failure, for anything else. Real harness, real compiler, the fake LLM."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import pytest
from fakes import FakeLLM
from loop_project import FILE, by_agent, make_project

from lessonl import run as runs
from lessonl.commands.optimize import judged_by
from lessonl.config import load_config
from lessonl.harness.coverage import Plan, plan

SIGN = """\
def sign(n):
    if n < 0:
        return -1
    return 1
"""

BROKEN_PY = "```python\ndef sign(n)\n    return 1\n```"
BROKEN_CPP = "```cpp\ninline int histogram( {\n```"


@pytest.fixture(autouse=True)
def private_timing_lock(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    lock = tmp_path_factory.mktemp("lock") / "timing.lock"
    monkeypatch.setenv("LESSONL_TIMING_LOCK", str(lock))


def _python_project(root: Path, fake: FakeLLM, test: str) -> Path:
    files = {
        "pkg/__init__.py": "",
        "pkg/sign.py": SIGN,
        # Only the positive branch: `if n < 0` is taken one way of two, line 3 never runs.
        "check.py": "from pkg.sign import sign\nassert sign(5) == 1\n",
        "bench.py": textwrap.dedent(
            """\
            import time
            from pkg.sign import sign
            for _ in range(3):
                t0 = time.process_time()
                for i in range(20000):
                    sign(i)
                print(f"LESSONL_TIME_S={time.process_time() - t0:.9f}")
            """
        ),
        "lessonl.toml": textwrap.dedent(
            f"""\
            [run]
            cache = false
            rounds = 1

            [[agents]]
            name = "alpha"
            provider = "openai"
            model = "alpha"
            base_url = "{fake.base_url}"
            max_retries = 0

            [[targets]]
            name = "sign"
            files = ["pkg/sign.py"]
            test = "{test}"
            bench = "{{python}} bench.py"
            timeout_s = 20
            min_pairs = 2
            max_pairs = 3
            timing_budget_s = 1.0
            """
        ),
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_a_python_target_reports_how_much_of_the_function_its_test_runs(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    fake_llm.script_fn(by_agent({"alpha": BROKEN_PY}))
    root = _python_project(tmp_path, fake_llm, "{python} check.py")
    report = asyncio.run(
        runs.execute(
            runs.plan(runs.RunRequest(root / "pkg/sign.py", "sign", config=load_config(root)))
        )
    )
    v = report.verification
    assert v is not None and v["kind"] == "target" and v["test"] == "{python} check.py"
    cov = v["coverage"]
    assert cov is not None, v["notes"]
    assert cov["branches"] == 50.0 and cov["uncovered_lines"] == "3"
    assert (cov["first_line"], cov["last_line"]) == (2, 4)
    assert v["summary"] == (
        "judged by the target's test `{python} check.py`, covering 50% of sign's branches; "
        "uncovered: line 3"
    )
    assert v["weak"] == "the target's test covers 50% of sign's branches: review the change"
    assert v["notes"] == []
    assert judged_by(v) == v["summary"]


def test_a_test_that_fails_under_coverage_is_a_note_not_a_failure(
    tmp_path: Path, fake_llm: FakeLLM
) -> None:
    fake_llm.script_fn(by_agent({"alpha": BROKEN_PY}))
    # Passes as itself, fails when coverage.py is loaded: the run still goes on.
    root = _python_project(tmp_path, fake_llm, "{python} check.py")
    (root / "check.py").write_text(
        "import sys\nfrom pkg.sign import sign\nassert sign(5) == 1\n"
        "sys.exit(3 if 'coverage' in sys.modules else 0)\n",
        encoding="utf-8",
    )
    report = asyncio.run(
        runs.execute(
            runs.plan(runs.RunRequest(root / "pkg/sign.py", "sign", config=load_config(root)))
        )
    )
    v = report.verification
    assert v is not None and v["coverage"] is None and v["weak"] is None
    assert v["summary"] == "judged by the target's test `{python} check.py` (coverage not measured)"
    assert len(v["notes"]) == 1 and "fails under coverage.py" in v["notes"][0], v["notes"]


def test_a_cpp_target_has_no_coverage_and_says_why(tmp_path: Path, fake_llm: FakeLLM) -> None:
    fake_llm.script_fn(by_agent({"alpha": BROKEN_CPP, "beta": BROKEN_CPP}))
    root = make_project(tmp_path, fake_llm, run="rounds = 1")
    report = asyncio.run(
        runs.execute(runs.plan(runs.RunRequest(root / FILE, "histogram", config=load_config(root))))
    )
    v = report.verification
    assert v is not None and v["coverage"] is None and v["weak"] is None
    assert v["notes"] == [f"coverage not measured: {FILE} is not a Python file"]
    assert "(coverage not measured)" in judged_by(v)


@pytest.mark.parametrize(
    ("test", "why"),
    [
        ("{build}/bench check", "does not start with {python} or a Python executable"),
        ("{python} check.py | tee log", "uses the shell"),
        ("{python} -X dev check.py", "passes options to Python"),
        ("{python}", "passes options to Python"),
    ],
)
def test_which_test_commands_are_measured(test: str, why: str) -> None:
    made = plan(test)
    assert isinstance(made, str) and why in made


def test_the_leading_python_runs_under_coverage() -> None:
    assert plan("{python} -m pytest -q tests/t.py") == Plan(
        "'{python}' -m coverage run '--rcfile={build}/lessonl-coverage.rc' -m pytest -q tests/t.py",
        support=False,
    )


def test_the_system_python_gets_lessonls_coverage(tmp_path: Path, fake_llm: FakeLLM) -> None:
    """`python3` on PATH is another environment than LessonL's venv, without coverage.py: it
    is lent LessonL's copy (same version) through PYTHONPATH, inside the sandbox."""
    fake_llm.script_fn(by_agent({"alpha": BROKEN_PY}))
    python = Path(sys.executable).resolve()
    root = _python_project(tmp_path, fake_llm, f"{python} check.py")
    report = asyncio.run(
        runs.execute(
            runs.plan(runs.RunRequest(root / "pkg/sign.py", "sign", config=load_config(root)))
        )
    )
    v = report.verification
    assert v is not None and v["coverage"] is not None, v["notes"]
    assert v["coverage"]["branches"] == 50.0 and v["coverage"]["uncovered_lines"] == "3"
