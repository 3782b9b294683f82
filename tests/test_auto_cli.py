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

from fakes import FakeLLM, FakeRequest
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
    assert report["verification"] == {
        "kind": "target",
        "target": "mine",
        "test": '{python} -c "import textkit"',
    }
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
    assert "Traceback" not in err
    assert fake_llm.requests == []  # nothing was asked of the model


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
    # The entry works as written: its test passes on the original, run as the harness would.
    recording = entry["test"].split("--recording ")[1].split()[0]
    assert Path(recording, "calls.pkl").is_file()
    argv = entry["test"].replace("{python}", sys.executable).split()
    done = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 recorded calls reproduced" in done.stdout


def test_pytest_missing_in_the_project_interpreter(tmp_path: Path) -> None:
    root = _project(tmp_path, "auto_pkg")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    code, _out, err = _lessonl("target", "textkit/words.py:dedupe", cwd=root)
    assert code == 2
    assert "pytest is not installed in" in err and ".venv/bin/python" in err
    assert "the project's .venv" in err


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
    assert re.search(
        r"ordered_unique\(\[.+\]\): left argument 1 different from the original",
        outcomes["alpha"]["detail"],
    ), outcomes["alpha"]["detail"]
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
