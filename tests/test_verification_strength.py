"""Verification strength (issue 29): the coverage the judging calls reach, the property-based
inputs derived from them, and the final choice between variants the timing cannot separate.

The runner's modules are imported in-process here (they are plain stdlib modules plus, for
these functions, coverage.py and Hypothesis, which LessonL's own environment has); the whole
path through the project's interpreter is in tests/test_auto_cli.py."""

from __future__ import annotations

import importlib.util
import pickle
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from lessonl.auto.generate import uncovered_text
from lessonl.auto.project import Interpreter, module_location
from lessonl.auto.recording import record
from lessonl.auto.runner import strength
from lessonl.auto.runner.cli import _coverage
from lessonl.auto.runner.record import Recorder
from lessonl.auto.runner.replay import one
from lessonl.auto.runner.store import Call, Meta
from lessonl.auto.target import strength_line, weak_line
from lessonl.grading import Graded, Remeasured, on_evidence
from lessonl.harness import support
from lessonl.harness.outcomes import Evaluation, Outcome

DATA = Path(__file__).resolve().parent / "data"

SOURCE = '''\
def classify(n):
    """Sign of n, in words."""
    if n < 0:
        return "negative"
    if n == 0:
        return "zero"
    return "positive"
'''


def _module(tmp: Path, name: str, source: str) -> object:
    path = tmp / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _calls(fn: object, inputs: list[tuple[tuple[object, ...], dict[str, object]]]) -> list[Call]:
    meta = Meta(module="m", qualname="f")
    recorder = Recorder(meta, max_calls=100, per_shape=100, max_call_bytes=1 << 20)
    wrapped = recorder.wrap(fn)  # type: ignore[arg-type]
    for args, kwargs in inputs:
        wrapped(*args, **kwargs)
    return recorder.chosen()


def test_coverage_names_the_lines_and_branches_the_calls_never_run(tmp_path: Path) -> None:
    module = _module(tmp_path, "signs", SOURCE)
    fn = module.classify  # type: ignore[attr-defined]
    measured = strength.coverage_of(fn, _calls(fn, [((5,), {})]))
    # lines 3, 5, 7 run; 4 and 6 never: 3 of 5 statements, 2 of 4 branches
    assert measured["lines"] == 60.0 and measured["branches"] == 50.0
    assert measured["uncovered_lines"] == "4, 6"
    full = strength.coverage_of(fn, _calls(fn, [((5,), {}), ((0,), {}), ((-1,), {})]))
    assert full["lines"] == 100.0 and full["branches"] == 100.0 and not full["uncovered_lines"]
    assert '4: return "negative"' in uncovered_text(SOURCE, measured["uncovered_lines"])


def test_ranges_read_as_a_person_writes_them() -> None:
    assert strength.ranges([9, 3, 4, 5, 12, 11]) == "3-5, 9, 11-12"
    assert strength.ranges([]) == ""


def test_a_list_is_tried_where_only_tuples_strings_and_an_empty_list_were_recorded(
    tmp_path: Path,
) -> None:
    module = _module(
        tmp_path,
        "uniq",
        "def first(items):\n    return list(items)[:1]\n",
    )
    fn = module.first  # type: ignore[attr-defined]
    recorded = _calls(fn, [(("abc",), {}), (((3, 1, 3),), {}), (([],), {})])
    meta = Meta(module="uniq", qualname="first")
    recorder = Recorder(meta, max_calls=64, per_shape=64, max_call_bytes=1 << 20)
    ran = strength.property_inputs(fn, recorded, recorder.wrap(fn), examples=60)
    assert ran > 10
    added = [pickle.loads(c.args)[0][0] for c in recorder.chosen()]
    assert any(isinstance(a, list) and a for a in added), added  # a non-empty list
    assert any(isinstance(a, list) and len(a) != len(set(a)) for a in added)  # duplicates
    assert any(isinstance(a, tuple) for a in added) and any(isinstance(a, str) for a in added)
    # the same recording yields the same inputs (derandomized, no example database)
    again = Recorder(
        Meta(module="uniq", qualname="first"), max_calls=64, per_shape=64, max_call_bytes=1 << 20
    )
    strength.property_inputs(fn, recorded, again.wrap(fn), examples=60)
    assert [c.args for c in again.chosen()] == [c.args for c in recorder.chosen()]


def test_inputs_that_crash_the_original_are_discarded(tmp_path: Path) -> None:
    module = _module(
        tmp_path,
        "halves",
        "def half(n):\n    if n % 2:\n        raise ValueError(n)\n    return n // 2\n",
    )
    fn = module.half  # type: ignore[attr-defined]
    recorded = _calls(fn, [((4,), {}), ((10,), {})])
    recorder = Recorder(
        Meta(module="halves", qualname="half"), max_calls=64, per_shape=64, max_call_bytes=1 << 20
    )
    strength.property_inputs(fn, recorded, recorder.wrap(fn), examples=50)
    kept = recorder.chosen()
    assert kept and all(c.raised is None for c in kept)
    assert all(pickle.loads(c.args)[0][0] % 2 == 0 for c in kept)


def test_the_strength_line_and_the_thin_evidence_line() -> None:
    coverage = {"lines": 95.0, "branches": 92.0, "uncovered_lines": "4012-4015"}
    assert strength_line("nth_permutation", 35, 40, 0, coverage) == (
        "verified on 35 recorded + 40 generated calls covering 92% of nth_permutation's "
        "branches; uncovered: lines 4012-4015"
    )
    one_line = {"lines": 90.0, "branches": None, "uncovered_lines": "8"}
    assert strength_line("g", 2, 0, 48, one_line) == (
        "verified on 2 recorded + 48 property-based calls covering 90% of g's lines; "
        "uncovered: line 8"
    )
    assert weak_line("f", 75, coverage) is None
    assert weak_line("f", 3, coverage) == (
        "correctness rests on 3 inputs covering 92% of f's branches: review the change"
    )
    low = {"lines": 70.0, "branches": None, "uncovered_lines": "3"}
    assert weak_line("f", 40, low) == (
        "correctness rests on 40 inputs covering 70% of f's lines: review the change"
    )


@dataclass(frozen=True)
class _Variant:
    agent: str
    round: int
    grade: Graded | None
    changed: int


def _remeasured(agent: str, changed: int, speedup: float, ci: tuple[float, float]) -> Remeasured:
    again = Evaluation(id=agent, label=agent, outcome=Outcome.CORRECT, speedup=speedup, ci95=ci)
    return Remeasured(
        candidate=_Variant(agent, 0, None, changed), first_speedup=speedup, again=again
    )


def test_overlapping_intervals_choose_the_smaller_change_and_say_why() -> None:
    # the numbers: 2.01x [1.72, 2.49] is no evidence of beating 1.84x [1.73, 1.93]
    big = _remeasured("alpha", 30, 2.01, (1.72, 2.49))
    small = _remeasured("beta", 4, 1.84, (1.73, 1.93))
    chosen, why = on_evidence([big, small], lambda v: v.changed)
    assert chosen is small
    assert why is not None and "alpha's 2.01x [1.72, 2.49]" in why and "smallest change" in why
    assert "4 changed lines" in why


def test_separate_intervals_keep_the_fastest() -> None:
    fast = _remeasured("alpha", 30, 3.0, (2.8, 3.2))
    slow = _remeasured("beta", 4, 1.84, (1.73, 1.93))
    chosen, why = on_evidence([slow, fast], lambda v: v.changed)
    assert chosen is fast and why is not None and "above" in why
    alone, reason = on_evidence([fast], lambda v: v.changed)
    assert alone is fast and reason is None
    # not measurably faster: never chosen, however small
    flat = _remeasured("gamma", 1, 1.01, (0.95, 1.08))
    assert on_evidence([flat], lambda v: v.changed) == (None, None)


def test_derived_inputs_keep_the_recorded_element_types_so_a_right_rewrite_passes(
    tmp_path: Path,
) -> None:
    # Strings inside a list stay strings: a list of lists would make `dict.fromkeys` raise
    # where the quadratic original does not, and reject a right rewrite for an input no
    # caller of a word list passes.
    module = _module(
        tmp_path,
        "words",
        "def dedupe(words):\n    out = []\n    for w in words:\n        if w not in out:\n"
        "            out.append(w)\n    return out\n\n"
        "def fast(words):\n    return list(dict.fromkeys(words))\n",
    )
    fn, fast = module.dedupe, module.fast  # type: ignore[attr-defined]
    recorded = _calls(fn, [((["the", "cat", "the"],), {}), (([],), {})])
    recorder = Recorder(
        Meta(module="words", qualname="dedupe"), max_calls=64, per_shape=64, max_call_bytes=1 << 20
    )
    strength.property_inputs(fn, recorded, recorder.wrap(fn), examples=80)
    added = recorder.chosen()
    assert len(added) > 10
    assert all(isinstance(w, str) for c in added for w in pickle.loads(c.args)[0][0]), (
        "elements of a list of strings must stay strings"
    )
    assert [one(fast, c, "dedupe") for c in added] == [None] * len(added)


def test_the_support_folder_brings_coverage_and_hypothesis_and_nothing_else(
    tmp_path: Path,
) -> None:
    folder = support.build(tmp_path / "support")
    assert folder is not None
    # -S: no site-packages, as in a project's interpreter without LessonL's dependencies
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import coverage, hypothesis\n"
        "try:\n    import numpy\nexcept ImportError:\n    print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", probe, str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.strip() == "ok", done.stderr
    assert support.same_python(f"{sys.version_info[0]}.{sys.version_info[1]}")
    assert not support.same_python("2.7")


async def test_low_coverage_asks_the_generator_showing_the_lines_never_run(
    tmp_path: Path,
) -> None:
    """Enough recorded calls (more than `few`), but half the branches never run: the input
    generator is asked anyway, and what it is given names the lines the calls miss."""
    import shutil

    root = tmp_path / "auto_branches"
    shutil.copytree(DATA / "auto_branches", root)
    rel = "marks/grades.py"
    seen: list[dict[str, object]] = []

    async def generator(meta: dict[str, object]) -> str:
        seen.append(meta)
        return "def generate_inputs():\n    return [((s,), {}) for s in (10, 55, 60)]\n"

    made = await record(
        root,
        rel,
        "grade",
        Interpreter(sys.executable, "test"),
        module_location(root, rel),
        secret_names=[],
        generator=generator,
        few=1,
    )
    (meta,) = seen
    before = meta["strength"]["before"]  # type: ignore[index]
    assert before["branches"] == 50.0 and before["uncovered_lines"] == "8, 13-15"
    source = (root / rel).read_text()
    assert '15: return "F"' in uncovered_text(source, before["uncovered_lines"])
    assert made.meta["generated"] == 3


def test_a_function_without_source_is_judged_without_coverage_and_says_so() -> None:
    namespace: dict[str, object] = {}
    exec("def twice(x):\n    return 2 * x\n", namespace)  # no file: coverage cannot place it
    fn = namespace["twice"]
    measured, why = _coverage(fn, _calls(fn, [((3,), {})]))
    assert measured is None
    assert why is not None and why.startswith("coverage not measured (")


async def test_derived_inputs_the_original_does_not_reproduce_are_dropped_apart(
    tmp_path: Path,
) -> None:
    """The tests pass non-empty lists only; on an empty one the function draws a random
    number, so those derived inputs do not reproduce: dropped with their own note, and not
    counted as recorded calls that depend on their test."""
    from lessonl import auto
    from lessonl.run import project_config

    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0"\n')
    (root / "sizes.py").write_text(
        "import random\n\n\ndef size(items):\n    return len(items) if items else random.random()\n"
    )
    (root / "tests" / "test_sizes.py").write_text(
        "from sizes import size\n\n\ndef test_size():\n"
        "    assert size([1, 2]) == 2\n    assert size([3]) == 1\n"
    )
    made = await auto.prepare(project_config(root / "sizes.py"), root / "sizes.py", "size")
    v = made.verification
    assert v["recorded_calls"] == 2 and v["property_inputs"] > 0
    assert "not reproducible outside its test" not in v["left_out"]
    assert any(
        n.endswith(
            "property-based inputs dropped: the original does not give the same result "
            "on them twice"
        )
        for n in v["notes"]
    ), v["notes"]
